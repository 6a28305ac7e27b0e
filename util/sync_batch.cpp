#include "util/sync_batch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <sys/stat.h>

#include "util/error.hpp"

namespace kiln {
namespace {

thread_local SyncBatch* current_batch = nullptr;

}  // namespace

SyncBatch::SyncBatch() : previous_(current_batch) {
  current_batch = this;
}

SyncBatch::~SyncBatch() {
  current_batch = previous_;
}

SyncBatch* SyncBatch::active() {
  return current_batch;
}

void SyncBatch::defer(int fd, std::string_view display_name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("stat", display_name);
  for (FileSystem& fs : file_systems_) {
    if (fs.dev == st.st_dev) {
      fs.dirty = true;
      return;
    }
  }
  // Kept open: syncfs needs an fd on the file system, and the path may be
  // renamed or removed before the flush.
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) throw_errno("duplicate the descriptor of", display_name);
  FileSystem fs;
  fs.dev = st.st_dev;
  fs.fd.reset(dup);
  fs.display_name = std::string(display_name);
  fs.dirty = true;
  file_systems_.push_back(std::move(fs));
}

void SyncBatch::flush() {
  for (FileSystem& fs : file_systems_) {
    if (!fs.dirty) continue;
    if (::syncfs(fs.fd.get()) != 0) throw_errno("sync the file system of", fs.display_name);
    fs.dirty = false;
  }
}

size_t SyncBatch::pending_file_systems() const {
  size_t n = 0;
  for (const FileSystem& fs : file_systems_) n += fs.dirty ? 1 : 0;
  return n;
}

void sync_barrier() {
  if (SyncBatch* b = SyncBatch::active()) b->flush();
}

void sync_file(int fd, std::string_view display_name) {
  if (SyncBatch* b = SyncBatch::active()) {
    b->defer(fd, display_name);
    return;
  }
  if (::fsync(fd) != 0) throw_errno("fsync", display_name);
}

void sync_directory(int dirfd, std::string_view display_name) {
  if (SyncBatch* b = SyncBatch::active()) {
    b->defer(dirfd, display_name);
    return;
  }
  // Some file systems cannot fsync a directory; their entries are as
  // durable as they get.
  if (::fsync(dirfd) != 0 && errno != EINVAL && errno != EROFS) throw_errno("fsync", display_name);
}

}  // namespace kiln
