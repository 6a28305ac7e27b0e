// Reads an overlay (a directory or a tar/tar.gz/tar.zst tarball) entry by
// entry, laying each into an image through an OverlayWriter and hashing the
// tree for kiln.lock.
//
// A directory overlay is the tree as it is checked out: entries are owned by
// root, modes keep their bits minus group/other write (so a umask of 002 on
// the checkout changes nothing), symlinks are copied as symlinks and never
// followed. A tarball overlay keeps its numeric owners, modes, xattrs (file
// capabilities) and hard links. Either may hold a kiln-overlay.yaml manifest
// at its root: it is hashed but not copied into the image.
#pragma once

#include <optional>
#include <string>

#include "builder/overlay_writer.hpp"

namespace kiln {

constexpr const char* kOverlayManifestName = "kiln-overlay.yaml";

struct OverlaySourceResult {
  std::string tree_sha256;
  std::optional<std::string> manifest;  // kiln-overlay.yaml's text, if any
  size_t entries = 0;
};

// `writer` may be null: then the source is only read and hashed.
OverlaySourceResult read_overlay_source(const std::string& overlay_name, const std::string& source,
                                        OverlayWriter* writer);

}  // namespace kiln
