// Reading helpers shared by the cloud-config parsers, on top of
// util/yaml_reader.hpp: each keeps the node of every value so that a
// problem with one list entry is reported at that entry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct StringAt {
  std::string value;
  YAML::Node node;
};

// A string or a list of strings (cloud-init accepts both for most list
// keys). Wrong types are reported; nullopt then.
std::optional<std::vector<StringAt>> read_strings(const YAML::Node& n, Diagnostics& d,
                                                  std::string_view what, bool allow_scalar = true);
// A sequence; reports anything else and returns false.
bool expect_sequence(const YAML::Node& n, Diagnostics& d, std::string_view what);
// A mapping with free-form string keys (duplicates reported); returns its
// entries, or nothing when it is not a mapping.
std::vector<std::pair<YAML::Node, YAML::Node>> read_free_map(const YAML::Node& n, Diagnostics& d,
                                                             const std::string& what);
// cloud-config booleans: YAML 1.1 spellings (yes/no/on/off) as PyYAML reads them.
std::optional<bool> read_flag(const YAML::Node& n, Diagnostics& d, std::string_view what);
// A string without control characters (no line can be injected).
std::optional<std::string> read_line(const YAML::Node& n, Diagnostics& d, std::string_view what);

}  // namespace kiln::firstboot
