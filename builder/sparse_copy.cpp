#include "builder/sparse_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <sys/stat.h>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

// Copies [from, from + len) of `in` to `out` at `to`.
void copy_range(int in, int out, off_t from, off_t to, off_t len, const std::string& src,
                const std::string& dst) {
  bool use_cfr = true;
  std::vector<char> buf;
  while (len > 0) {
    throw_if_interrupted();
    size_t chunk = static_cast<size_t>(std::min<off_t>(len, 64 << 20));
    ssize_t n = -1;
    if (use_cfr) {
      loff_t a = from;
      loff_t b = to;
      n = ::copy_file_range(in, &a, out, &b, chunk, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        use_cfr = false;
        continue;
      }
    } else {
      if (buf.empty()) buf.resize(1 << 20);
      size_t want = std::min(chunk, buf.size());
      n = ::pread(in, buf.data(), want, from);
      if (n > 0) {
        ssize_t done = 0;
        while (done < n) {
          ssize_t w = ::pwrite(out, buf.data() + done, static_cast<size_t>(n - done), to + done);
          if (w < 0) {
            if (errno == EINTR) continue;
            throw_errno("write", dst);
          }
          done += w;
        }
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("copy into", dst);
    }
    if (n == 0) throw Error("copy '" + src + "': file shrank while being copied");
    from += n;
    to += n;
    len -= n;
  }
}

}  // namespace

void copy_sparse_into(const std::string& src, int dst_fd, uint64_t offset,
                      const std::string& dst_name) {
  UniqueFd in = open_file(src, O_RDONLY);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) throw_errno("stat", src);
  off_t size = st.st_size;
  off_t pos = 0;
  while (pos < size) {
    off_t data = ::lseek(in.get(), pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      throw_errno("seek data in", src);
    }
    off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) throw_errno("seek hole in", src);
    copy_range(in.get(), dst_fd, data, static_cast<off_t>(offset) + data, hole - data, src,
               dst_name);
    pos = hole;
  }
}

void copy_sparse_file(const std::string& src, const std::string& dst) {
  struct stat st {};
  if (::stat(src.c_str(), &st) != 0) throw_errno("stat", src);
  UniqueFd out = open_file(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
  if (::ftruncate(out.get(), st.st_size) != 0) throw_errno("resize", dst);
  copy_sparse_into(src, out.get(), 0, dst);
  if (::fsync(out.get()) != 0) throw_errno("sync", dst);
}

}  // namespace kiln
