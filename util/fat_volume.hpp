// Reading files from a FAT12/16/32 file system (an image file or a block
// device) in user space, without mounting it: for kernels without vfat, and
// for callers that may not mount. Long (VFAT) names are read; names match
// case-insensitively for ASCII, as on a vfat mount. Every structure is
// bounds-checked, and cluster chains are checked for loops, so a corrupt or
// hostile volume gives an error, never a crash or an endless read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace kiln {

class FatVolume {
 public:
  // Reads the boot sector and the first FAT. Throws "read FAT file system
  // 'path': reason" when `path` holds no FAT file system it can read.
  explicit FatVolume(std::string path);

  // The file at `path` ("dir/file", "/" separated), nullopt when there is no
  // such regular file. Throws with EFBIG when it is larger than `max_bytes`.
  std::optional<std::string> read(std::string_view path, size_t max_bytes);
  // Whether `path` names a file or directory.
  bool exists(std::string_view path);

  [[nodiscard]] int fat_bits() const { return fat_bits_; }

 private:
  struct Entry {
    std::string name;
    bool directory = false;
    uint32_t first_cluster = 0;
    uint32_t size = 0;
  };

  std::optional<Entry> lookup(std::string_view path);
  std::vector<Entry> list_directory(const Entry* dir);
  std::vector<uint32_t> chain(uint32_t first, uint64_t max_clusters);
  std::string read_clusters(const std::vector<uint32_t>& clusters, uint64_t bytes);
  std::string read_at(uint64_t offset, size_t length);
  uint32_t next_cluster(uint32_t cluster) const;
  [[noreturn]] void corrupt(const std::string& reason) const;

  std::string path_;
  UniqueFd fd_;
  int fat_bits_ = 0;
  uint32_t bytes_per_sector_ = 0;
  uint32_t cluster_bytes_ = 0;
  uint64_t root_offset_ = 0;  // FAT12/16: the fixed root directory
  uint32_t root_entries_ = 0;
  uint32_t root_cluster_ = 0;  // FAT32: the root directory's first cluster
  uint64_t data_offset_ = 0;
  uint32_t cluster_count_ = 0;
  std::vector<uint8_t> fat_;
};

}  // namespace kiln
