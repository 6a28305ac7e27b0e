#include "util/tmpfs_mount.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <sys/mount.h>
#include <sys/xattr.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace kiln {

TmpfsMount TmpfsMount::mount(const std::string& path, uint64_t size_bytes) {
  const std::string data = "size=" + std::to_string(size_bytes) + ",mode=0755,uid=0,gid=0";
  if (::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) != 0) throw_errno("mount", path);
  return TmpfsMount(path, size_bytes);
}

TmpfsMount::TmpfsMount(TmpfsMount&& other) noexcept
    : path_(std::exchange(other.path_, {})), size_bytes_(other.size_bytes_) {}

TmpfsMount& TmpfsMount::operator=(TmpfsMount&& other) noexcept {
  if (this != &other) {
    unmount();
    path_ = std::exchange(other.path_, {});
    size_bytes_ = other.size_bytes_;
  }
  return *this;
}

TmpfsMount::~TmpfsMount() {
  unmount();
}

void TmpfsMount::unmount() noexcept {
  if (path_.empty()) return;
  // Lazy: a process still inside the tree (a killed build's child) must not
  // keep the mount point, and so the work dir, from being removed.
  ::umount2(path_.c_str(), MNT_DETACH);
  path_.clear();
}

bool xattr_settable(const std::string& dir, const std::string& name, std::string_view value) {
  const std::string probe = dir + "/.kiln-xattr-probe";
  int raw = ::open(probe.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (raw < 0) return false;
  UniqueFd fd(raw);
  const bool ok = ::fsetxattr(fd.get(), name.c_str(), value.data(), value.size(), 0) == 0;
  ::unlink(probe.c_str());
  return ok;
}

}  // namespace kiln
