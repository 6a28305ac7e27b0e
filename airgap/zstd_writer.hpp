// Multithreaded zstd compression into a file descriptor, with the window
// capped at 2^25 bytes: RKE2's importer (and containerd's zstd reader)
// refuse frames whose window is larger, so a larger setting is a usage
// error here rather than a node that cannot import its images.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/zstd_ptr.hpp"

namespace kiln::airgap {

constexpr int kMaxZstdWindowLog = 25;
// zstd's regular levels. 20-22 are its "ultra" levels, which the zstd CLI
// hides behind --ultra: made for windows far beyond RKE2's 32 MiB, they cost
// much more time and memory for little gain within it.
constexpr int kMaxZstdLevel = 19;
constexpr int kMinZstdWindowLog = 10;

struct ZstdOptions {
  int level = 3;
  // 8 MiB: in multithreaded mode a larger window mostly buys each job a
  // longer prefix to re-index, for little gain; 25 is the ceiling.
  int window_log = 23;
  int workers = 0;  // 0: one per online CPU
  // Bytes each worker compresses at a time; bounds memory (about
  // window + (workers + 3) * job_size).
  size_t job_size = 8 << 20;
  bool long_distance = false;  // long-distance matching within the window
};

// Throws (exit 2) when the options would produce frames RKE2 cannot read.
void check_zstd_options(const ZstdOptions& o);

class ZstdWriter {
 public:
  ZstdWriter(int fd, std::string name, const ZstdOptions& options);
  ZstdWriter(const ZstdWriter&) = delete;
  ZstdWriter& operator=(const ZstdWriter&) = delete;

  void write(const void* data, size_t size);
  // Ends the frame and flushes everything to the descriptor.
  void finish();
  [[nodiscard]] uint64_t bytes_in() const { return in_; }
  [[nodiscard]] uint64_t bytes_out() const { return out_; }

 private:
  void drain(ZSTD_EndDirective mode, const void* data, size_t size);

  int fd_;
  std::string name_;
  ZstdCCtxPtr ctx_;
  std::vector<char> buffer_;
  uint64_t in_ = 0;
  uint64_t out_ = 0;
};

}  // namespace kiln::airgap
