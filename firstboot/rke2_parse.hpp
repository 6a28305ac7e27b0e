// Strict parsing of the `rke2:` cloud-config section.
#pragma once

#include <optional>

#include "firstboot/rke2_config.hpp"
#include "firstboot/target_facts.hpp"
#include "util/diagnostics.hpp"

namespace kiln::firstboot {

std::optional<Rke2Config> parse_rke2_section(const YAML::Node& node, Diagnostics& d,
                                             const TargetFacts& facts);

}  // namespace kiln::firstboot
