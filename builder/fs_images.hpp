// File-system images made straight from directories, with no loop device,
// mount or root privilege: erofs for the read-only root, ext4 for the state
// partition, FAT (mkfs.vfat + mtools) for the ESP. Every timestamp and UUID
// comes from the caller so the images are reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

struct ErofsOptions {
  std::string uuid;
  int64_t epoch = 0;     // every inode gets this mtime
  std::string log_path;  // mkfs output goes here
};

// mkfs.erofs -zlz4 of `tree` into `image`; returns the image's size.
uint64_t make_erofs(const std::string& tree, const std::string& image, const ErofsOptions& o);

struct Ext4Options {
  std::string label;
  std::string uuid;
  std::string hash_seed;  // a UUID; fixes the directory hash order
  int64_t epoch = 0;
  uint64_t size = 0;    // bytes
  uint64_t inodes = 0;  // inodes to create (0: mke2fs's ratio)
  std::string log_path;
};

// mkfs.ext4 -d of `tree` into a new `image` of o.size bytes. `paths` lists
// every entry of the tree (relative, "" for the root, as returned by
// clamp_tree_times); their inode change and access times, which mkfs copies
// from the build host, are then pinned to o.epoch with debugfs. Returns false when
// the tree does not fit (the caller decides whether to grow and retry);
// any other failure throws.
bool make_ext4(const std::string& tree, const std::string& image, const Ext4Options& o,
               const std::vector<std::string>& paths);

struct EspFile {
  std::string source;  // host path
  std::string dest;    // path inside the ESP, e.g. "EFI/BOOT/BOOTX64.EFI"
};

struct EspOptions {
  std::string label;      // up to 11 characters
  std::string volume_id;  // 8 hex digits
  int64_t epoch = 0;
  uint64_t size = 0;  // bytes
  std::string log_path;
};

// mkfs.vfat (FAT32 from 64 MiB up) and mtools copies, timestamps pinned.
void make_esp(const std::string& image, const EspOptions& o, const std::vector<EspFile>& files);

// Environment for the tools above: a fixed time zone and locale, and the
// timestamp for mtools and e2fsprogs.
std::vector<std::string> reproducible_tool_env(int64_t epoch);

}  // namespace kiln
