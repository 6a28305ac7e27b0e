// Instance meta-data, whatever datasource it came from: the instance-id that
// decides "once per instance", the host name the platform suggests, and
// public keys for the default user.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct MetaData {
  std::string instance_id;
  std::optional<std::string> local_hostname;
  std::vector<std::string> public_keys;
};

// Empty when fine, else the reason: instance ids name a state directory.
std::string check_instance_id(std::string_view id);

// NoCloud meta-data: YAML (or JSON, as cloud-localds writes it) with
// instance-id (required), local-hostname, public-keys and dsmode.
std::optional<MetaData> parse_nocloud_meta_data(std::string_view text, Diagnostics& d);

}  // namespace kiln::firstboot
