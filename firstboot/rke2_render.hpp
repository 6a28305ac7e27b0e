// The files the rke2 section becomes, as text.
#pragma once

#include <optional>
#include <string>

#include "firstboot/rke2_config.hpp"

namespace kiln::firstboot {

// /etc/rancher/rke2/config.yaml.d/50-kiln.yaml. The token itself is never in
// it: `token-file` points at kRke2TokenPath (or the user's token-file).
std::string render_rke2_config(const Rke2Config& c);
// registries.yaml: the section's mirrors and configs merged into `existing`
// (the image's own registries.yaml, for example the airgap mirrors the
// builder wrote); entries for the same registry are replaced.
std::string render_registries(const Rke2Config& c, const std::optional<std::string>& existing,
                              const std::string& existing_name);

}  // namespace kiln::firstboot
