#include "airgap/zstd_frames.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <sys/stat.h>

#include "airgap/exit_codes.hpp"
#include "airgap/zstd_writer.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

constexpr uint32_t kFrameMagic = 0xFD2FB528U;
constexpr uint32_t kSkippableMask = 0xFFFFFFF0U;
constexpr uint32_t kSkippableMagic = 0x184D2A50U;

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), fd_(open_file(path, O_RDONLY)) {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) throw_errno("stat", path);
    size_ = static_cast<uint64_t>(st.st_size);
  }
  // Reads exactly n bytes at off, or throws "truncated".
  void read(uint64_t off, void* buf, size_t n) const {
    if (off + n > size_) truncated();
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_.get(), static_cast<char*>(buf) + done, n - done,
                          static_cast<off_t>(off + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_errno("read", path_);
      if (r == 0) truncated();
      done += static_cast<size_t>(r);
    }
  }
  uint32_t le(uint64_t off, size_t n) const {
    std::array<unsigned char, 4> b{};
    read(off, b.data(), n);
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(b[i]) << (8 * i);
    return v;
  }
  [[noreturn]] void truncated() const {
    throw Error("zstd '" + path_ + "': truncated frame", kExitVerification);
  }
  [[nodiscard]] uint64_t size() const { return size_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

// Parses a frame header at `off`; returns its window size and advances off
// past the header. Sets `checksum` from the descriptor.
uint64_t frame_header(const Reader& r, uint64_t& off, bool& checksum) {
  unsigned char fhd = static_cast<unsigned char>(r.le(off, 1));
  off += 1;
  unsigned fcs_flag = fhd >> 6;
  bool single_segment = (fhd & 0x20) != 0;
  checksum = (fhd & 0x04) != 0;
  unsigned dict_flag = fhd & 0x03;
  if ((fhd & 0x08) != 0) {
    throw Error("zstd '" + r.path() + "': frame header has its reserved bit set",
                kExitVerification);
  }
  uint64_t window = 0;
  if (!single_segment) {
    unsigned wd = r.le(off, 1);
    off += 1;
    unsigned exponent = wd >> 3;
    unsigned mantissa = wd & 7;
    uint64_t base = uint64_t{1} << (10 + exponent);
    window = base + (base / 8) * mantissa;
  }
  static constexpr std::array<unsigned, 4> dict_sizes{0, 1, 2, 4};
  off += dict_sizes[dict_flag];
  unsigned fcs_size = fcs_flag == 0 ? (single_segment ? 1 : 0) : (1U << fcs_flag);
  if (single_segment) {
    // The whole content is the window; the decoder must hold all of it.
    uint64_t content = 0;
    std::array<unsigned char, 8> b{};
    r.read(off, b.data(), fcs_size);
    for (unsigned i = 0; i < fcs_size; ++i) content |= static_cast<uint64_t>(b[i]) << (8 * i);
    if (fcs_size == 2) content += 256;
    window = content;
  }
  off += fcs_size;
  return window;
}

}  // namespace

ZstdFrameSummary scan_zstd_frames(const std::string& path) {
  Reader r(path);
  ZstdFrameSummary s;
  uint64_t off = 0;
  if (r.size() == 0) throw Error("zstd '" + path + "': empty file", kExitVerification);
  while (off < r.size()) {
    uint32_t magic = r.le(off, 4);
    off += 4;
    if ((magic & kSkippableMask) == kSkippableMagic) {
      off += 4 + static_cast<uint64_t>(r.le(off, 4));
      if (off > r.size()) r.truncated();
      continue;
    }
    if (magic != kFrameMagic) {
      throw Error("zstd '" + path + "': not a zstd frame at byte " + std::to_string(off - 4),
                  kExitVerification);
    }
    bool checksum = false;
    uint64_t window = frame_header(r, off, checksum);
    while (true) {
      uint32_t bh = r.le(off, 3);
      off += 3;
      bool last = (bh & 1) != 0;
      unsigned type = (bh >> 1) & 3;
      uint64_t size = bh >> 3;
      if (type == 3) {
        throw Error("zstd '" + path + "': reserved block type at byte " + std::to_string(off - 3),
                    kExitVerification);
      }
      off += type == 1 ? 1 : size;  // an RLE block stores one byte
      if (off > r.size()) r.truncated();
      if (last) break;
    }
    if (checksum) off += 4;
    if (off > r.size()) r.truncated();
    ++s.frames;
    s.max_window = std::max(s.max_window, window);
  }
  return s;
}

void check_zstd_window(const std::string& path) {
  ZstdFrameSummary s = scan_zstd_frames(path);
  constexpr uint64_t limit = uint64_t{1} << kMaxZstdWindowLog;
  if (s.max_window > limit) {
    throw Error("zstd '" + path + "': a frame needs a " + human_bytes(s.max_window) +
                    " window; RKE2 accepts at most " + human_bytes(limit) +
                    " (recompress with a window log of 25 or less)",
                kExitVerification);
  }
}

}  // namespace kiln::airgap
