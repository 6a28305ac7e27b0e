// Parsers for the list-valued cloud-config keys, used by cloud_config_parse.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "firstboot/cloud_config.hpp"
#include "util/diagnostics.hpp"

namespace kiln::firstboot {

// users: "default", a name, or a mapping per entry.
std::vector<UserSpec> parse_users(const YAML::Node& n, Diagnostics& d);
// The account the "default" entry stands for.
UserSpec default_user();
// ssh_authorized_keys: a list of one-line OpenSSH public keys.
std::vector<std::string> read_ssh_keys(const YAML::Node& n, Diagnostics& d, const std::string& what,
                                       bool allow_scalar = false);
std::vector<WriteFile> parse_write_files(const YAML::Node& n, Diagnostics& d);
// bootcmd / runcmd: each entry an argv list or a shell string.
std::vector<CommandSpec> parse_commands(const YAML::Node& n, Diagnostics& d,
                                        const std::string& key);

}  // namespace kiln::firstboot
