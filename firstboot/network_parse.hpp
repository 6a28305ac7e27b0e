// The two network-config dialects, parsed into NetworkConfig (internal to
// network_config.cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include "firstboot/network_config.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {

// `m` is the (unwrapped) top-level mapping, with "version" already read.
void parse_network_v2(StrictMap& m, Diagnostics& d, NetworkConfig& out);
void parse_network_v1(StrictMap& m, Diagnostics& d, NetworkConfig& out);

// Shared by both: "what" must be an IP address / CIDR list.
std::vector<std::string> read_ips(const YAML::Node& n, Diagnostics& d, const std::string& what,
                                  bool cidr);
std::optional<int> read_mtu(const YAML::Node& n, Diagnostics& d, const std::string& what);

}  // namespace kiln::firstboot
