// Finding seed volumes: every block device the kernel knows is probed with
// libblkid for a vfat or iso9660 file system and its label (a superblock
// read, no mount; no other file system's prober runs). A device that cannot
// be opened (an empty CD drive) is skipped.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kiln::firstboot {

struct VolumeInfo {
  std::string device;
  std::string label;
  std::string type;  // vfat, iso9660, ...
};

// /dev/NAME for each entry of /sys/class/block, sorted by name.
std::vector<std::string> system_block_devices();
// LABEL and TYPE of the vfat or iso9660 file system on `device` (a device
// node or an image file); nullopt for any other content.
std::optional<VolumeInfo> probe_volume(const std::string& device);
// The first device whose label is one of `labels` and whose type is vfat
// or iso9660.
std::optional<VolumeInfo> find_volume(const std::vector<std::string>& devices,
                                      const std::vector<std::string>& labels);

}  // namespace kiln::firstboot
