// A seed volume mounted read-only (nosuid, nodev, noexec) through libmount,
// in a private mount namespace so the mount is invisible to the rest of the
// system and disappears with the process even if it dies. Unmounted (and the
// mount point removed) on destruction. Where the kernel cannot mount the
// volume, its files are read in user space instead.
#pragma once

#include <functional>
#include <string>

#include "firstboot/block_devices.hpp"
#include "firstboot/seed_data.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {

// Moves this process into its own mount namespace with private propagation
// (once; later calls do nothing), so seed mounts are seen by nobody else.
void enter_seed_mount_namespace();

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

// Hands the volume's files to `read`: mounted read-only when this kernel and
// this process can mount it; when the kernel lacks the file system (ENODEV:
// no vfat or iso9660 driver) or the process may not mount (EPERM), read in
// user space with kiln::VolumeFiles. Any other mount failure is an error.
SeedData read_seed_volume(const VolumeInfo& volume,
                          const std::function<SeedData(const SeedFiles&)>& read);

}  // namespace kiln::firstboot
