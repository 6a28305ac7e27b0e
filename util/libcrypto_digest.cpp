#include "util/libcrypto_digest.hpp"

#include <string>

#include "util/dlopen_library.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

constexpr const char* kSoname = "libcrypto.so.3";

constexpr char kDlopenJson[] =
    R"([{"feature":"sha256","description":"SHA-256: checking an interrupted write_files append",)"
    R"("priority":"recommended","soname":["libcrypto.so.3"]}])";
[[gnu::section(".note.dlopen"), gnu::used,
  gnu::aligned(4)]] constinit const ElfDlopenNote<sizeof kDlopenJson>
    kNote{kDlopenJson};

struct Loaded {
  LibcryptoDigest api;
  std::string error;
};

Loaded load() {
  Loaded l;
  void* handle = open_library(kSoname, l.error);
  if (handle == nullptr) return l;
  LibcryptoDigest& a = l.api;
  bool ok = resolve_symbol(handle, kSoname, "EVP_MD_CTX_new", a.ctx_new, l.error) &&
            resolve_symbol(handle, kSoname, "EVP_MD_CTX_free", a.ctx_free, l.error) &&
            resolve_symbol(handle, kSoname, "EVP_sha256", a.sha256, l.error) &&
            resolve_symbol(handle, kSoname, "EVP_DigestInit_ex", a.init, l.error) &&
            resolve_symbol(handle, kSoname, "EVP_DigestUpdate", a.update, l.error) &&
            resolve_symbol(handle, kSoname, "EVP_DigestFinal_ex", a.final, l.error);
  if (!ok) a.ctx_new = nullptr;  // the marker of a usable table
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const LibcryptoDigest& libcrypto_digest() {
  const Loaded& l = loaded();
  if (l.api.ctx_new == nullptr) throw Error(l.error);
  return l.api;
}

void evp_md_ctx_free(EVP_MD_CTX* ctx) noexcept {
  if (ctx != nullptr && loaded().api.ctx_free != nullptr) loaded().api.ctx_free(ctx);
}

}  // namespace kiln
