// kiln.lock: the resolved sha256 (or digest) of every input of a build,
// beside the spec. JSON with sorted keys, written atomically, one entry per
// image name so several specs can share a directory:
//
//   {
//     "kiln-lock": 1,
//     "images": {
//       "edge-node": {
//         "inputs": {"base": "…", "binary:crictl": "…", "overlay:cis": "…", …},
//         "base-packages": ["adduser=3.134", …]
//       }
//     }
//   }
//
// `kiln build --locked` compares each input as soon as it is resolved and
// fails (exit 3) naming the first that differs or is missing from the lock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/build_context.hpp"

namespace kiln {

struct ImageLock {
  LockEntries inputs;
  std::map<std::string, std::string> base_packages;  // name -> version (Debian bases)
};

struct LockFile {
  std::map<std::string, ImageLock> images;
};

// nullopt when the file does not exist; a malformed file is an error (exit 2).
std::optional<LockFile> read_lock_file(const std::string& path);
std::string render_lock_file(const LockFile& lock);
void write_lock_file(const std::string& path, const LockFile& lock);

// For --locked: throws (exit 3) when an entry of `resolved` is missing from
// `lock` or differs from it. With `complete`, also when the lock lists an
// input the build no longer has.
void check_against_lock(const LockEntries& resolved,
                        const std::map<std::string, std::string>& packages, const ImageLock& lock,
                        const std::string& lock_path, bool complete);

}  // namespace kiln
