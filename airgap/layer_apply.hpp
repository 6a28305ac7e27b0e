// Applies container image layers to a root file-system tree, in order, the
// way OCI's layer spec says: ".wh.NAME" deletes NAME from the layers below,
// ".wh..wh..opq" empties its directory of everything the layers below put
// there, and every other entry is extracted through libarchive with the
// SECURE flags, keeping numeric owners, modes, xattrs (file capabilities
// included), ACLs and times. Whiteouts are resolved inside the root, so a
// symlink in the tree cannot redirect a deletion outside it.
#pragma once

#include <cstdint>
#include <string>

#include "airgap/streams.hpp"

namespace kiln::airgap {

struct LayerApplyOptions {
  // Skip device nodes that cannot be created (unprivileged user namespace).
  bool skip_unpermitted_devices = false;
};

struct LayerApplyStats {
  uint64_t entries = 0;
  uint64_t whiteouts = 0;
  uint64_t skipped_devices = 0;
};

// `layer` is the layer blob (tar, tar+gzip or tar+zstd); `name` names it in
// errors.
LayerApplyStats apply_layer(InputStream& layer, const std::string& name, const std::string& root,
                            const LayerApplyOptions& options = {});

}  // namespace kiln::airgap
