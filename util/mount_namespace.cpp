#include "util/mount_namespace.hpp"

#include <sched.h>

#include <sys/mount.h>

#include "util/error.hpp"

namespace kiln {

void enter_private_mount_namespace() {
  if (::unshare(CLONE_NEWNS) != 0) throw_errno("unshare", "mount namespace");
  // Without this, mounts made under a shared mount (systemd makes / shared)
  // would show up in the namespace the process came from.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    throw_errno("make private", "/");
  }
}

}  // namespace kiln
