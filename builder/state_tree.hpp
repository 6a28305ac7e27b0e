// The state partition's content, split off the staging tree: the image's
// /var moves (rename, no copy) to <state>/var and an empty /var stays behind
// as the mount point; <state>/overlay/<dir>/{upper,work} are made for every
// persistent overlay layer (boot_layout.hpp), each upper directory with the
// mode and owner of the image directory it covers, because overlayfs shows
// the upper directory's attributes for the merged root.
#pragma once

#include <string>

namespace kiln {

// `state_dir` must not exist and must be on the same file system as
// `rootfs_dir`.
void split_state_tree(const std::string& rootfs_dir, const std::string& state_dir);

}  // namespace kiln
