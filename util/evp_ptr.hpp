// RAII for OpenSSL message-digest contexts (libcrypto loaded on first use).
#pragma once

#include "util/c_ptr.hpp"
#include "util/libcrypto_digest.hpp"

namespace kiln {

using EvpMdCtxPtr = CPtr<EVP_MD_CTX, evp_md_ctx_free>;

}  // namespace kiln
