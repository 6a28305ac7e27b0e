#include "firstboot/meta_data.hpp"

#include <algorithm>

#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/names.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {

std::string check_instance_id(std::string_view id) {
  if (id.empty()) return "is empty";
  if (id.size() > 128) return "is longer than 128 characters";
  if (id == "." || id == "..") return "is not a valid name";
  bool ok = std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == ':';
  });
  return ok ? "" : "may only hold letters, digits, '.', '_', '-' and ':'";
}

namespace {

std::vector<std::string> read_public_keys(const YAML::Node& n, Diagnostics& d) {
  if (!n.IsMap()) return read_ssh_keys(n, d, "public-keys", true);
  // {name: key} or {name: [keys]}, as EC2-style meta-data writes them.
  std::vector<std::string> out;
  for (const auto& [name, value] : read_free_map(n, d, "public-keys")) {
    auto keys = read_ssh_keys(value, d, "public-keys." + name.Scalar(), true);
    out.insert(out.end(), keys.begin(), keys.end());
  }
  return out;
}

}  // namespace

std::optional<MetaData> parse_nocloud_meta_data(std::string_view text, Diagnostics& d) {
  const size_t errors_before = d.errors().size();
  auto root = parse_yaml(text, d);
  if (!root) return std::nullopt;
  if (!root->IsMap()) {
    d.error(yaml_line(*root), yaml_column(*root),
            "meta-data must be a mapping, got " + yaml_kind(*root));
    return std::nullopt;
  }
  StrictMap m(*root, d, "meta-data");
  MetaData md;
  YAML::Node id = m.require("instance-id");
  if (auto s = read_line(id, d, "instance-id")) {
    std::string why = check_instance_id(*s);
    if (why.empty()) {
      md.instance_id = *s;
    } else {
      yaml_error(d, id, "instance-id '" + *s + "' " + why);
    }
  }
  if (YAML::Node h = m.get("local-hostname"); h.IsDefined()) {
    if (auto s = read_line(h, d, "local-hostname")) {
      std::string why = check_hostname(*s);
      if (why.empty()) {
        md.local_hostname = *s;
      } else {
        yaml_error(d, h, "local-hostname '" + *s + "' " + why);
      }
    }
  }
  if (YAML::Node k = m.get("public-keys"); k.IsDefined()) md.public_keys = read_public_keys(k, d);
  if (YAML::Node mode = m.get("dsmode"); mode.IsDefined()) {
    // Accepted for cloud-localds compatibility; kiln has one stage, so it
    // changes nothing.
    auto s = read_line(mode, d, "dsmode");
    if (s && *s != "local" && *s != "net" && *s != "pass" && *s != "disabled") {
      yaml_error(d, mode, "dsmode must be local, net, pass or disabled, got '" + *s + "'");
    }
  }
  if (YAML::Node eni = m.get("network-interfaces"); eni.IsDefined()) {
    yaml_error(d, eni,
               "network-interfaces (ifupdown syntax) is not supported; use a network-config file");
  }
  m.finish();
  if (d.errors().size() != errors_before) return std::nullopt;
  return md;
}

}  // namespace kiln::firstboot
