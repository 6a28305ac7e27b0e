// The validation the builder runs on a seed it bakes into an image
// (spec firstboot.seed), so a broken seed fails the build instead of the
// node's first boot. firstboot/ never includes builder/; the builder calls
// this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct SeedCheck {
  std::vector<Diagnostic> errors;    // "NAME/user-data:LINE:COL: message" via Diagnostic::str()
  std::vector<Diagnostic> warnings;  // unsupported keys and the like
  std::string instance_id;           // from meta-data, when valid
  [[nodiscard]] bool ok() const { return errors.empty(); }
};

// Validates the NoCloud seed in `dir` (user-data, meta-data, optional
// network-config, and no other file). `display` prefixes file names in
// diagnostics. With a
// non-empty `image_root` (the staging tree) the checks that depend on the
// image run too: timezone names against its zoneinfo, write_files owners
// against its accounts, and the rke2 profile against the RKE2 version from
// its /usr/lib/kiln/image.json, or from `rke2_version` when given (for a
// build that writes image.json later). Throws kiln::Error only when the
// directory cannot be read.
SeedCheck validate_seed_dir(const std::string& dir, const std::string& display,
                            const std::string& image_root = "",
                            const std::optional<std::string>& rke2_version = std::nullopt);

}  // namespace kiln::firstboot
