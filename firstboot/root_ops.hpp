// File operations inside a target root that RootDir does not offer:
// directories with an owner, atomic symlinks, copying a tree. Paths are
// resolved inside the root, so nothing here can write outside it.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <sys/types.h>

#include "util/root_dir.hpp"

namespace kiln::firstboot {

using Owner = std::optional<std::pair<uid_t, gid_t>>;

// Creates `rel` (and missing parents, 0755 root) when it does not exist;
// then gives it `mode` and `owner`. Returns true when it was created.
bool ensure_dir(const RootDir& root, const std::string& rel, mode_t mode, const Owner& owner);
// Points `rel` at `target` by renaming a fresh symlink over it.
void replace_symlink(const RootDir& root, const std::string& rel, const std::string& target);
// Copies the regular files and directories under `from` to `to` (both in
// the root), owned by `owner`; existing files are left alone.
void copy_tree_in_root(const RootDir& root, const std::string& from, const std::string& to,
                       const Owner& owner);
// Writes when the content differs; returns true when it wrote.
bool write_if_changed(const RootDir& root, const std::string& rel, const std::string& data,
                      mode_t mode, const Owner& owner = std::nullopt);

}  // namespace kiln::firstboot
