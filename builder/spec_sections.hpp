// Parsers for the spec sections beyond the root file system: rke2, airgap,
// boot, partitions, outputs and firstboot.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <vector>

#include "builder/spec.hpp"
#include "builder/spec_values.hpp"
#include "util/diagnostics.hpp"

namespace kiln::spec {

std::optional<Rke2> parse_rke2(const YAML::Node& n, Diagnostics& d, const InputContext& ctx);
Airgap parse_airgap(const YAML::Node& n, Diagnostics& d, const InputContext& ctx);
Boot parse_boot(const YAML::Node& n, Diagnostics& d);
Partitions parse_partitions(const YAML::Node& n, Diagnostics& d);
std::vector<Output> parse_outputs(const YAML::Node& n, Diagnostics& d);
// With file checks, the seed is validated with kiln-firstboot's own checks
// (those that need no image tree; the build runs the rest), its problems
// reported as SEED/FILE:LINE:COL.
Firstboot parse_firstboot(const YAML::Node& n, Diagnostics& d, const InputContext& ctx,
                          const std::optional<Rke2>& rke2);

// Known RKE2 image tarball names besides "all" and "core".
const std::vector<std::string>& rke2_cni_image_sets();
// "" for a known image set ("all", "core" or a CNI), else "unknown image
// set 'x' (known: ...)[; did you mean 'y'?]".
std::string unknown_image_set(const std::string& name);
// The rules for a whole list (each name known, none twice, "all" alone,
// "core" unless "all"): the first problem, or "".
std::string image_sets_problem(const std::vector<std::string>& sets);

}  // namespace kiln::spec
