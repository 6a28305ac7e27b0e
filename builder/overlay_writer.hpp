// Lays one overlay's entries into an image tree, confined to it. A member is
// a relative path without "..": absolute names and "../" are refused. The
// image's own relative symlinks are followed where they stay inside the
// root (merged /usr: an overlay's lib/... lands in usr/lib/...), but an
// overlay never writes through an absolute symlink or one that climbs out of
// the root. Every refusal is one line naming the overlay and the member
// (exit 2). A member replaces what the image had at its path ("later wins"),
// except that an existing directory is kept as it is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <sys/types.h>

#include "util/fd.hpp"

namespace kiln {

struct EntryMeta {
  mode_t mode = 0644;  // permission bits (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<struct timespec> mtime;
  std::vector<std::pair<std::string, std::string>> xattrs;  // name, value
};

// "a/./b//c" -> "a/b/c"; throws the overlay's one-line error for absolute
// paths and "..".
std::string check_member(const std::string& overlay, const std::string& member);

class OverlayWriter {
 public:
  OverlayWriter(const std::string& root, std::string overlay_name);

  void directory(const std::string& member, const EntryMeta& meta);
  // `fill` writes the file's bytes to the fd it is given.
  void file(const std::string& member, const EntryMeta& meta, const std::function<void(int)>& fill);
  void symlink(const std::string& member, const std::string& target, const EntryMeta& meta);
  // A hard link to an earlier member of the same overlay.
  void hardlink(const std::string& member, const std::string& target_member);

  // The directory that holds `member` (created as needed, root-owned 0755),
  // and its last component.
  UniqueFd open_parent(const std::string& member, std::string& leaf) const;

 private:
  // Walks `components` from the root as directories, creating missing ones
  // when `create` is set; follows relative symlinks that stay inside.
  UniqueFd walk(const std::vector<std::string>& components, const std::string& member,
                bool create) const;
  [[noreturn]] void fail(const std::string& member, const std::string& why) const;

  std::string root_;
  std::string overlay_;
  UniqueFd root_fd_;
};

}  // namespace kiln
