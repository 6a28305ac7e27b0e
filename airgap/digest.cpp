#include "airgap/digest.hpp"

#include "airgap/exit_codes.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace kiln::airgap {

bool is_digest(std::string_view s) {
  return s.starts_with("sha256:") && is_sha256_hex(s.substr(7));
}

std::string digest_hex(std::string_view digest, std::string_view what) {
  if (!is_digest(digest)) {
    throw Error(std::string(what) + ": '" + std::string(digest) +
                    "' is not a sha256 digest (expected sha256:<64 hex digits>)",
                kExitInvalid);
  }
  return std::string(digest.substr(7));
}

std::string digest_from_hex(std::string_view hex) {
  return "sha256:" + std::string(hex);
}

std::string short_digest(std::string_view digest) {
  return std::string(digest.substr(0, std::min<size_t>(digest.size(), 19)));
}

}  // namespace kiln::airgap
