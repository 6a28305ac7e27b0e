#include "builder/partition_sizes.hpp"

#include <algorithm>

#include "builder/build_context.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln {

uint64_t align_up(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

uint64_t with_headroom(uint64_t payload, const spec::Partitions& partitions) {
  if (partitions.headroom_percent) {
    return payload + payload * *partitions.headroom_percent / 100;
  }
  if (partitions.headroom_bytes) return payload + *partitions.headroom_bytes;
  return payload;
}

uint64_t choose_partition_size(const std::string& key, const std::string& what,
                               const spec::Size& requested, uint64_t needed,
                               const spec::Partitions& partitions, uint64_t minimum) {
  if (requested.automatic()) {
    return std::max(minimum, align_up(with_headroom(needed, partitions), kPartitionAlign));
  }
  uint64_t fixed = *requested.bytes;
  if (fixed < needed) {
    throw Error("size '" + key + "': " + human_bytes(fixed) + " is too small for " + what + " (" +
                    human_bytes(needed) + "); use a larger size or auto",
                kExitInvalid);
  }
  return align_up(fixed, kPartitionAlign);
}

namespace {

// mke2fs's default journal size (ext2fs_default_journal_size) for a file
// system of `blocks` 4 KiB blocks, in bytes.
uint64_t default_journal_bytes(uint64_t blocks) {
  uint64_t journal_blocks = 0;
  if (blocks < 2048) {
    journal_blocks = 0;
  } else if (blocks < 32768) {
    journal_blocks = 1024;
  } else if (blocks < 256 * 1024) {
    journal_blocks = 4096;
  } else if (blocks < 512 * 1024) {
    journal_blocks = 8192;
  } else if (blocks < 4096 * 1024) {
    journal_blocks = 16384;
  } else if (blocks < 8192 * 1024) {
    journal_blocks = 32768;
  } else if (blocks < 16384 * 1024) {
    journal_blocks = 65536;
  } else if (blocks < 32768 * 1024) {
    journal_blocks = 131072;
  } else {
    journal_blocks = 262144;
  }
  return journal_blocks * 4096;
}

}  // namespace

uint64_t ext4_size_for(uint64_t data_bytes, uint64_t inodes) {
  // Inode tables at 256 bytes an inode, with room for twice the inodes in
  // use, plus bitmaps and group descriptors (about 1.5%).
  uint64_t base = data_bytes + inodes * 512 + data_bytes / 64 + 4 * kMiB;
  uint64_t journal = default_journal_bytes(base / 4096 * 2);
  // The 5% reserved for root is not usable by `mkfs.ext4 -d` either.
  return (base + journal) * 100 / 94;
}

uint64_t esp_size_for(uint64_t file_bytes) {
  // Two FATs of 4 bytes per 512-byte cluster, reserved sectors, directories.
  return file_bytes + file_bytes / 64 + 2 * kMiB;
}

}  // namespace kiln
