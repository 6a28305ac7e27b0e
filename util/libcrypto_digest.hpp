// libcrypto's message-digest functions, loaded on first use.
//
// kiln-firstboot hashes only to recognise a write_files append that an
// interruption left half done; linked normally, libcrypto.so.3 (21,000
// relocations, the most of any library it uses) would be mapped and
// relocated before main() at every boot. The builder hashes through the same
// table: one indirect call per buffer.
#pragma once

#include <openssl/evp.h>

namespace kiln {

struct LibcryptoDigest {
  decltype(&EVP_MD_CTX_new) ctx_new = nullptr;
  decltype(&EVP_MD_CTX_free) ctx_free = nullptr;
  decltype(&EVP_sha256) sha256 = nullptr;
  decltype(&EVP_DigestInit_ex) init = nullptr;
  decltype(&EVP_DigestUpdate) update = nullptr;
  decltype(&EVP_DigestFinal_ex) final = nullptr;
};

// Loads libcrypto.so.3 on the first call. Throws kiln::Error
// "load 'libcrypto.so.3': reason" when it cannot be loaded.
const LibcryptoDigest& libcrypto_digest();

// EVP_MD_CTX_free through the table: the deleter of EvpMdCtxPtr (a context
// only exists once the table is loaded).
void evp_md_ctx_free(EVP_MD_CTX* ctx) noexcept;

}  // namespace kiln
