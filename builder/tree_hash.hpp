// A digest of a file tree as an image receives it: every entry's path, type,
// mode, owner, and contents (files) or target (links), in path order. Two
// trees that would lay down the same bytes and metadata hash the same,
// wherever they came from (a directory or a tarball) and whatever their
// mtimes. kiln.lock records overlays and seeds by it.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace kiln {

class TreeHasher {
 public:
  void directory(const std::string& path, mode_t mode, uid_t uid, gid_t gid);
  void file(const std::string& path, mode_t mode, uid_t uid, gid_t gid,
            const std::string& content_sha256);
  void symlink(const std::string& path, const std::string& target, uid_t uid, gid_t gid);
  void hardlink(const std::string& path, const std::string& target);
  [[nodiscard]] std::string hex_digest() const;

 private:
  std::vector<std::pair<std::string, std::string>> records_;  // path -> record
};

}  // namespace kiln
