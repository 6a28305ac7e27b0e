#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include <sys/stat.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sync_batch.hpp"

namespace kiln {
namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(8, 'x');
  for (auto& c : s) c = alphabet[rng() % 36];
  return s;
}

}  // namespace

AtomicFile::AtomicFile(int dirfd, std::string name, mode_t mode, std::string display_name)
    : name_(std::move(name)),
      display_(display_name.empty() ? name_ : std::move(display_name)),
      mode_(mode) {
  if (name_.empty() || name_.find('/') != std::string::npos) {
    throw Error("write '" + display_ + "': not a single path component");
  }
  int d = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) throw_errno("dup directory of", display_);
  dir_.reset(d);
  for (int attempt = 0; attempt < 16; ++attempt) {
    temp_name_ = "." + name_ + ".kiln-tmp-" + random_suffix();
    // 0600 until commit: nobody else reads a half-written or secret file.
    int fd = ::openat(dir_.get(), temp_name_.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      fd_.reset(fd);
      return;
    }
    if (errno != EEXIST) throw_errno("create", display_);
  }
  throw Error::from_errno("create", display_, EEXIST);
}

namespace {
UniqueFd open_parent_dir(const std::string& path) {
  return open_file(dirname_of(path), O_RDONLY | O_DIRECTORY);
}
}  // namespace

AtomicFile::AtomicFile(const std::string& path, mode_t mode)
    : AtomicFile(open_parent_dir(path).get(), basename_of(path), mode, path) {}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_name_.empty() && dir_) {
    ::unlinkat(dir_.get(), temp_name_.c_str(), 0);
  }
}

void AtomicFile::write(std::string_view data) {
  write_all(fd_.get(), data, display_);
}

void AtomicFile::set_owner(uid_t uid, gid_t gid) {
  owner_ = {uid, gid};
}

void AtomicFile::commit() {
  if (owner_ && ::fchown(fd_.get(), owner_->first, owner_->second) != 0) {
    throw_errno("chown", display_);
  }
  // After fchown, which clears set-id bits.
  if (::fchmod(fd_.get(), mode_) != 0) throw_errno("chmod", display_);
  sync_file(fd_.get(), display_);
  fd_.reset();
  if (::renameat(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str()) != 0) {
    throw_errno("rename into place", display_);
  }
  committed_ = true;
  sync_directory(dir_.get(), display_);
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  AtomicFile f(path, mode);
  f.write(data);
  f.commit();
}

void rename_durable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("rename '" + from + "' to", to);
  UniqueFd dir = open_file(dirname_of(to), O_RDONLY | O_DIRECTORY);
  sync_directory(dir.get(), to);
}

}  // namespace kiln
