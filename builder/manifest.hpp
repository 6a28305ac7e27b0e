// manifest.json: what an image is made of and what was written, beside the
// outputs. Keys are sorted, so equal builds give equal manifests.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "builder/build_context.hpp"

namespace kiln {

inline constexpr int kManifestFormat = 1;

// The manifest of a finished build: spec hash, the lock entries, the
// kernel and boot settings, the partition table, the outputs with their
// sha256, the installed packages and the hygiene report.
nlohmann::json build_manifest(const BuildContext& ctx);

}  // namespace kiln
