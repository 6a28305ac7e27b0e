// Byte streams. Everything in the airgap library moves blobs through these in
// bounded chunks, so no blob or archive is ever held in memory whole.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/fd.hpp"
#include "util/sha256.hpp"

namespace kiln::airgap {

constexpr size_t kChunkSize = 1 << 20;

class InputStream {
 public:
  InputStream() = default;
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;
  virtual ~InputStream() = default;
  // Reads up to `size` bytes; returns 0 only at the end of the stream.
  virtual size_t read(void* buf, size_t size) = 0;
  // Skips up to `size` bytes without reading them where the stream can (a
  // file); returns how many were skipped, 0 when it cannot.
  virtual uint64_t skip(uint64_t /*size*/) { return 0; }
};

// Reads a file descriptor it owns; checks for interruption between reads.
class FdInputStream final : public InputStream {
 public:
  FdInputStream(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
  // Opens `path` for reading.
  explicit FdInputStream(const std::string& path);
  size_t read(void* buf, size_t size) override;
  uint64_t skip(uint64_t size) override;
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::string name_;
};

// Passes bytes through while hashing and counting them.
class DigestingStream final : public InputStream {
 public:
  explicit DigestingStream(InputStream& in) : in_(in) {}
  size_t read(void* buf, size_t size) override;
  // Reads (and hashes) whatever the consumer left unread.
  void drain();
  // "sha256:<hex>" of everything read; call once, after the end.
  std::string digest() { return "sha256:" + hash_.hex_digest(); }
  [[nodiscard]] uint64_t bytes() const { return bytes_; }

 private:
  InputStream& in_;
  Sha256 hash_;
  uint64_t bytes_ = 0;
};

// Stops after `limit` bytes of the underlying stream.
class LimitedStream final : public InputStream {
 public:
  LimitedStream(InputStream& in, uint64_t limit) : in_(in), left_(limit) {}
  size_t read(void* buf, size_t size) override;

 private:
  InputStream& in_;
  uint64_t left_;
};

using ChunkSink = std::function<void(const char* data, size_t size)>;
// Feeds the whole stream to `sink` in chunks; returns the byte count.
uint64_t pump(InputStream& in, const ChunkSink& sink);
// Reads a whole stream that must not exceed `max_bytes` (manifests, configs).
std::string read_small(InputStream& in, size_t max_bytes, std::string_view what);

}  // namespace kiln::airgap
