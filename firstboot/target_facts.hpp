// What validation needs to know about the system the data will be applied
// to: the RKE2 release baked into the image (from /usr/lib/kiln/image.json),
// and the root itself for checks such as "is this timezone installed".
#pragma once

#include <optional>
#include <string>

#include "util/root_dir.hpp"

namespace kiln::firstboot {

constexpr const char* kImageJsonPath = "/usr/lib/kiln/image.json";

struct TargetFacts {
  // Null when validating without a target (for example `validate` without
  // --root): checks that need the root are then skipped.
  const RootDir* root = nullptr;
  bool image_json_found = false;
  bool image_has_rke2 = false;
  std::optional<std::string> rke2_version;  // as written in image.json
};

// Reads ROOT/usr/lib/kiln/image.json when present. A malformed file is a
// runtime error: the image itself is broken.
TargetFacts read_target_facts(const RootDir& root);

}  // namespace kiln::firstboot
