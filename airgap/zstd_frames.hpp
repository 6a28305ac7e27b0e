// Reads the frame headers of a .zst file without decompressing it, to
// check that every frame's window fits what RKE2's decoder accepts.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::airgap {

struct ZstdFrameSummary {
  uint64_t frames = 0;
  uint64_t max_window = 0;  // bytes
};

// Walks every frame (skippable frames included) block by block. Throws
// (exit 3) on a file that is not zstd or is truncated.
ZstdFrameSummary scan_zstd_frames(const std::string& path);

// Throws (exit 3) naming the file when a frame needs a window over 2^25.
void check_zstd_window(const std::string& path);

}  // namespace kiln::airgap
