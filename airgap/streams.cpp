#include "airgap/streams.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <sys/stat.h>

#include "airgap/exit_codes.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::airgap {

FdInputStream::FdInputStream(const std::string& path)
    : fd_(open_file(path, O_RDONLY)), name_(path) {}

size_t FdInputStream::read(void* buf, size_t size) {
  while (true) {
    throw_if_interrupted();
    ssize_t n = ::read(fd_.get(), buf, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_errno("read", name_);
  }
}

uint64_t FdInputStream::skip(uint64_t size) {
  struct stat st {};
  off_t pos = ::lseek(fd_.get(), 0, SEEK_CUR);
  if (pos < 0 || ::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  uint64_t left = st.st_size > pos ? static_cast<uint64_t>(st.st_size - pos) : 0;
  uint64_t n = std::min(size, left);
  if (::lseek(fd_.get(), static_cast<off_t>(n), SEEK_CUR) < 0) return 0;
  return n;
}

size_t DigestingStream::read(void* buf, size_t size) {
  size_t n = in_.read(buf, size);
  hash_.update(buf, n);
  bytes_ += n;
  return n;
}

void DigestingStream::drain() {
  std::vector<char> buf(kChunkSize);
  while (read(buf.data(), buf.size()) > 0) {
  }
}

size_t LimitedStream::read(void* buf, size_t size) {
  if (left_ == 0) return 0;
  size_t n = in_.read(buf, static_cast<size_t>(std::min<uint64_t>(size, left_)));
  left_ -= n;
  return n;
}

uint64_t pump(InputStream& in, const ChunkSink& sink) {
  std::vector<char> buf(kChunkSize);
  uint64_t total = 0;
  while (size_t n = in.read(buf.data(), buf.size())) {
    sink(buf.data(), n);
    total += n;
  }
  return total;
}

std::string read_small(InputStream& in, size_t max_bytes, std::string_view what) {
  std::string out;
  char buf[65536];
  while (size_t n = in.read(buf, sizeof buf)) {
    if (out.size() + n > max_bytes) {
      throw Error(std::string(what) + ": larger than " + std::to_string(max_bytes >> 20) +
                      " MiB, which no manifest or config is",
                  kExitInvalid);
    }
    out.append(buf, n);
  }
  return out;
}

}  // namespace kiln::airgap
