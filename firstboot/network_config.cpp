#include "firstboot/network_config.hpp"

#include "firstboot/network_parse.hpp"
#include "firstboot/network_values.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {

std::vector<std::string> read_ips(const YAML::Node& n, Diagnostics& d, const std::string& what,
                                  bool cidr) {
  std::vector<std::string> out;
  auto items = read_strings(n, d, what, !cidr);
  if (!items) return out;
  for (const auto& it : *items) {
    if (cidr ? !is_cidr(it.value) : !is_ip_address(it.value)) {
      yaml_error(d, it.node,
                 what + " entries must be " +
                     (cidr ? "addresses with a prefix such as 10.0.0.5/24" : "IP addresses") +
                     ", got '" + it.value + "'");
      continue;
    }
    out.push_back(it.value);
  }
  return out;
}

std::optional<int> read_mtu(const YAML::Node& n, Diagnostics& d, const std::string& what) {
  auto v = read_int(n, d, what, 68, 65535);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<NetworkConfig> parse_network_config(std::string_view text, Diagnostics& d) {
  const size_t errors_before = d.errors().size();
  auto root = parse_yaml(text, d);
  if (!root) return std::nullopt;
  YAML::Node top = *root;
  // cloud-init accepts the config bare or under a top-level "network:" key.
  if (top.IsMap() && top.size() == 1 && top["network"].IsDefined()) top = top["network"];
  if (!top.IsMap()) {
    d.error(yaml_line(top), yaml_column(top),
            "network-config must be a mapping, got " + yaml_kind(top));
    return std::nullopt;
  }
  StrictMap m(top, d, "network-config");
  NetworkConfig c;
  YAML::Node version = m.require("version");
  auto v = read_int(version, d, "network-config version", 1, 2);
  if (!v) {
    // Without a known version the other keys cannot be judged.
    for (const auto& [k, value] : m.entries()) m.allow(k.Scalar());
    return std::nullopt;
  }
  c.version = static_cast<int>(*v);
  if (c.version == 2) {
    parse_network_v2(m, d, c);
  } else {
    parse_network_v1(m, d, c);
  }
  m.finish();
  if (d.errors().size() != errors_before) return std::nullopt;
  return c;
}

}  // namespace kiln::firstboot
