// RAII for OpenSSL message-digest contexts.
#pragma once

#include <openssl/evp.h>

#include "util/c_ptr.hpp"

namespace kiln {

using EvpMdCtxPtr = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

}  // namespace kiln
