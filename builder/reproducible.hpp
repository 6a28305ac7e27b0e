// Reproducible images: one timestamp and UUIDs derived from the build's
// inputs, so two builds of the same spec and lock give bit-identical disks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_context.hpp"

namespace kiln {

// Used when SOURCE_DATE_EPOCH is not set: 2024-01-01T00:00:00Z. A constant
// (rather than the build time) so that equal inputs give equal images.
constexpr int64_t kDefaultSourceDateEpoch = 1704067200;

// SOURCE_DATE_EPOCH from the environment, or the default. A value that is
// not a non-negative integer is a usage error (exit 2).
int64_t source_date_epoch();

// The seed every derived UUID starts from: the spec's sha256 and every
// resolved input of the lock.
std::string uuid_seed(const std::string& spec_sha256, const LockEntries& resolved);

// A version-4-shaped UUID (lower-case, with dashes) derived from the seed
// and a purpose such as "gpt-disk" or "fs:kiln-root".
std::string derive_uuid(std::string_view seed, std::string_view purpose);

// The first 8 hex digits of a derived value, as a FAT volume id.
std::string derive_volume_id(std::string_view seed, std::string_view purpose);

// Sets atime and mtime of every entry under `dir` (symlinks themselves, not
// their targets) to min(mtime, epoch): files made during the build get the
// fixed time, files from packages keep theirs. Returns the relative paths
// of every entry ("" for `dir` itself), sorted.
std::vector<std::string> clamp_tree_times(const std::string& dir, int64_t epoch);

}  // namespace kiln
