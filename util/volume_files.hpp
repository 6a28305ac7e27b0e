// Files on a read-only volume (an image file or a block device), read in
// user space without mounting it: FAT through FatVolume, ISO 9660 (with
// Rock Ridge and Joliet names) through libarchive. Names match
// case-insensitively for ASCII, as on a vfat mount or an iso9660 mount's
// default name mapping.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

class VolumeFiles {
 public:
  virtual ~VolumeFiles() = default;
  // The regular file at `path` ("dir/file"), nullopt when there is none.
  // Throws an Error with EFBIG when it is larger than `max_bytes`.
  virtual std::optional<std::string> read(std::string_view path, size_t max_bytes) = 0;
  // Whether `path` names a file or a directory.
  virtual bool exists(std::string_view path) = 0;
};

// `fstype` is libblkid's name: "vfat" or "iso9660". Throws "read 'device':
// reason" for another type or a volume that cannot be read.
std::unique_ptr<VolumeFiles> open_volume_files(const std::string& device, std::string_view fstype);

}  // namespace kiln
