// What the boot and disk steps (initramfs -> assemble -> outputs) hand each
// other through BuildContext::image, and what manifest.json reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

// One GPT partition as written to the disk.
struct PartitionInfo {
  std::string name;        // GPT partition name (PARTLABEL)
  std::string type_guid;   // GPT partition type, upper-case
  std::string uuid;        // unique partition GUID, upper-case
  uint64_t start = 0;      // bytes from the start of the disk
  uint64_t size = 0;       // bytes
  std::string filesystem;  // "vfat", "erofs", "ext4"
  std::string fs_uuid;     // file-system UUID (vfat: volume id)
  uint64_t payload = 0;    // bytes of content the size was computed from
};

// One file the output step wrote.
struct OutputFile {
  std::string format;  // "raw", "qcow2", "vhd", "tar"
  std::string path;
  std::string sha256;
  uint64_t size = 0;
};

struct ImageArtifacts {
  // Timestamp for everything kiln controls (SOURCE_DATE_EPOCH or the default).
  int64_t source_date_epoch = 0;

  // initramfs step
  std::string kernel_version;
  std::string kernel_path;  // vmlinuz inside the staging tree
  std::string initrd_path;  // generated initramfs (in the cache)
  bool initrd_cached = false;

  // assemble step
  std::string cmdline;    // the kernel command line inside the UKI
  std::string stub_path;  // systemd-stub the UKI was made from
  std::string stub_sha256;
  std::string state_dir;  // staging tree of the state partition (holds var/)
  std::string disk_path;  // the assembled raw disk, in the work dir
  std::string disk_guid;
  uint64_t disk_size = 0;
  std::vector<PartitionInfo> partitions;

  // output step
  std::vector<OutputFile> outputs;
  std::string manifest_path;
};

}  // namespace kiln
