// How big each partition is: `auto` sizes are the payload plus the spec's
// headroom, rounded up to whole MiB (and never below a floor); fixed sizes
// are checked against the payload. Pure arithmetic, so it is unit-tested
// without building anything.
#pragma once

#include <cstdint>
#include <string>

#include "builder/spec.hpp"

namespace kiln {

constexpr uint64_t kMiB = 1ULL << 20;
// Partitions start on 1 MiB boundaries; the disk keeps 1 MiB at each end for
// the protective MBR, the GPT and its backup.
constexpr uint64_t kPartitionAlign = kMiB;
constexpr uint64_t kDiskLeadIn = kMiB;
constexpr uint64_t kDiskLeadOut = kMiB;

// Floors for automatic sizes. The ESP floor keeps FAT32 valid; the state
// floor leaves room for a first boot's logs before the partition grows.
constexpr uint64_t kEspMinimum = 64 * kMiB;
constexpr uint64_t kRootMinimum = 16 * kMiB;
constexpr uint64_t kStateMinimum = 256 * kMiB;

uint64_t align_up(uint64_t value, uint64_t alignment);

// payload plus the spec's headroom (percentage or bytes; none when unset).
uint64_t with_headroom(uint64_t payload, const spec::Partitions& partitions);

// The size of one partition. `key` names it in errors ("partitions.root"),
// `what` describes the payload ("the root file system"). A fixed size below
// `needed` is an invalid-spec error (exit 2).
uint64_t choose_partition_size(const std::string& key, const std::string& what,
                               const spec::Size& requested, uint64_t needed,
                               const spec::Partitions& partitions, uint64_t minimum);

// Bytes an ext4 file system needs for a tree with `data_bytes` of file and
// directory blocks and `inodes` inodes: the data plus inode tables, the
// journal mke2fs would pick, group metadata and the 5% reserve.
uint64_t ext4_size_for(uint64_t data_bytes, uint64_t inodes);

// Bytes a FAT32 ESP needs to hold `file_bytes` of files: the files plus FAT
// tables, directories and slack.
uint64_t esp_size_for(uint64_t file_bytes);

}  // namespace kiln
