#include "util/sha256.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {
void init(EVP_MD_CTX* ctx) {
  const LibcryptoDigest& c = libcrypto_digest();
  if (c.init(ctx, c.sha256(), nullptr) != 1) throw Error("sha256: init failed");
}
}  // namespace

Sha256::Sha256() : ctx_(libcrypto_digest().ctx_new()) {
  if (!ctx_) throw Error("sha256: out of memory", 1, ENOMEM);
  init(ctx_.get());
}

void Sha256::update(const void* data, size_t size) {
  if (libcrypto_digest().update(ctx_.get(), data, size) != 1) throw Error("sha256: update failed");
}

std::array<uint8_t, 32> Sha256::digest() {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  if (libcrypto_digest().final(ctx_.get(), out.data(), &len) != 1 || len != out.size()) {
    throw Error("sha256: final failed");
  }
  init(ctx_.get());
  return out;
}

std::string Sha256::hex_digest() {
  auto d = digest();
  return to_hex(d.data(), d.size());
}

std::string to_hex(const uint8_t* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    s += digits[data[i] >> 4];
    s += digits[data[i] & 0xf];
  }
  return s;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string sha256_fd(int fd, std::string_view name) {
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        throw_if_interrupted();
        continue;
      }
      throw_errno("read", name);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.hex_digest();
}

std::string sha256_file(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  return sha256_fd(fd.get(), path);
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace kiln
