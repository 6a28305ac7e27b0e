// A seed volume mounted read-only (nosuid, nodev, noexec) through libmount,
// in a private mount namespace so the mount is invisible to the rest of the
// system and disappears with the process even if it dies. Unmounted (and the
// mount point removed) on destruction.
#pragma once

#include <string>

#include "util/fs.hpp"

namespace kiln::firstboot {

// Moves this process into its own mount namespace with private propagation
// (once; later calls do nothing).
void enter_private_mount_namespace();

class ReadOnlyMount {
 public:
  // `source` is a device node or an image file (libmount sets up a loop
  // device for a file).
  ReadOnlyMount(const std::string& source, const std::string& fstype);
  ReadOnlyMount(const ReadOnlyMount&) = delete;
  ReadOnlyMount& operator=(const ReadOnlyMount&) = delete;
  ~ReadOnlyMount();

  [[nodiscard]] const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;  // declared first: removed after the unmount
  bool mounted_ = false;
};

}  // namespace kiln::firstboot
