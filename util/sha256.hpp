// Streaming SHA-256 through OpenSSL's EVP interface (libcrypto loaded on
// first use: util/libcrypto_digest.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/evp_ptr.hpp"

namespace kiln {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the digest; the object is then reset for reuse.
  std::array<uint8_t, 32> digest();
  std::string hex_digest();

 private:
  EvpMdCtxPtr ctx_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_fd(int fd, std::string_view name);
std::string sha256_file(const std::string& path);
std::string to_hex(const uint8_t* data, size_t size);
// 64 lowercase hex digits.
bool is_sha256_hex(std::string_view s);

}  // namespace kiln
