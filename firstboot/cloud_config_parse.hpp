// Strict parsing of one #cloud-config document, and cloud-init's merge of
// several (MIME parts): a top-level key in a later part replaces the
// earlier one, as cloud-init's default "dict(replace)" merge does.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "firstboot/cloud_config.hpp"
#include "firstboot/target_facts.hpp"
#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct CloudConfigDocument {
  CloudConfig config;
  std::vector<std::string> keys;  // supported top-level keys it set
};

// Keys kiln-firstboot applies.
const std::vector<std::string>& supported_cloud_config_keys();

CloudConfigDocument parse_cloud_config_document(const YAML::Node& root, Diagnostics& d,
                                                const TargetFacts& facts);
void merge_cloud_config(CloudConfig& into, const CloudConfigDocument& later);

}  // namespace kiln::firstboot
