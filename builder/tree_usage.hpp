// How much room a directory tree takes once copied into a file system.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

struct TreeUsage {
  uint64_t bytes = 0;   // file data and directory blocks, in 4 KiB blocks
  uint64_t inodes = 0;  // distinct inodes (hard links count once)
  uint64_t files = 0;   // regular files
};

// Walks `dir` without following symlinks.
TreeUsage measure_tree(const std::string& dir);

}  // namespace kiln
