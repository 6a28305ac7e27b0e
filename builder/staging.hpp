// Where the staging tree lives. Writing a base of tens of thousands of files
// to a disk file system costs most of a warm rebuild (inode creation and
// writeback); the same tree in a private tmpfs costs a tenth of that. So,
// when memory allows, the tree is staged in memory; the tmpfs lives in the
// build's own mount namespace, so a crashed build cannot leak it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

struct BuildContext;
class StepTimer;

// --staging: auto (memory when it fits, else disk), disk, memory,
// memory:SIZE (memory with SIZE as the limit).
struct StagingRequest {
  enum class Mode { Auto, Disk, Memory } mode = Mode::Auto;
  std::optional<uint64_t> memory_limit;  // tmpfs size; default half of MemAvailable
};

// Parses a --staging value; throws a usage error (exit 2) naming it.
StagingRequest parse_staging(const std::string& value);

struct StagingPlan {
  bool in_memory = false;
  uint64_t limit = 0;  // tmpfs size when in memory
  std::string reason;  // why, for the base step's event
};

// The decision, from what is known before the base is unpacked: the tree's
// estimated size and the memory available. Pure, so it can be tested.
StagingPlan plan_staging(const StagingRequest& request, uint64_t estimated_tree_bytes,
                         std::optional<uint64_t> memory_available, bool keep_work);

// A base input's unpacked size, estimated from its file: a plain tar is its
// own size; compressed data (gzip, zstd, xz, bzip2) is assumed to expand 4x.
uint64_t estimated_unpacked_bytes(const std::string& path);

// Called by the base step before it fills ctx.rootfs_dir: stages the tree in
// memory when plan_staging says so and tmpfs works here (it can be mounted
// and takes the xattrs an image carries), else leaves it on disk. The tmpfs
// goes on rootfs_dir's parent, which must hold nothing but the empty tree,
// so that the state tree split off beside it later is on the same mount. With
// --staging memory, a tmpfs that cannot be used is an error. Records the
// choice as the step's "staging" field.
void prepare_staging_tree(BuildContext& ctx, uint64_t estimated_tree_bytes, StepTimer& timer);

// The hint added to an out-of-space error when the tree is in memory.
std::optional<std::string> staging_full_hint(const BuildContext& ctx);

}  // namespace kiln
