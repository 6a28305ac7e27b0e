// Strict, position-aware reading of YAML documents on top of yaml-cpp:
// duplicate keys, unknown keys and wrong types become diagnostics at the
// offending node's line and column, and reading continues so that every
// problem is reported.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostics.hpp"

namespace kiln {

// Parses `text`; a syntax error becomes a diagnostic and nullopt.
std::optional<YAML::Node> parse_yaml(std::string_view text, Diagnostics& diag);

int yaml_line(const YAML::Node& n);    // 1-based
int yaml_column(const YAML::Node& n);  // 1-based
void yaml_error(Diagnostics& d, const YAML::Node& at, std::string message);
void yaml_warning(Diagnostics& d, const YAML::Node& at, std::string message);
// "a mapping", "a sequence", "a string", "null".
std::string yaml_kind(const YAML::Node& n);
// A plain (unquoted) scalar that YAML's core schema reads as null.
bool yaml_is_null(const YAML::Node& n);

// Reads a mapping key by key. Keys that were never asked for are reported as
// unknown (with a "did you mean" hint) by finish(); duplicates are reported
// on construction.
class StrictMap {
 public:
  StrictMap(const YAML::Node& node, Diagnostics& diag, std::string what);
  StrictMap(const StrictMap&) = delete;
  StrictMap& operator=(const StrictMap&) = delete;
  ~StrictMap();

  [[nodiscard]] bool ok() const { return ok_; }  // was it a mapping?
  // The value of `key`, or an undefined node when absent. Marks it known.
  YAML::Node get(const std::string& key);
  // Like get(), and reports a missing key at the mapping.
  YAML::Node require(const std::string& key);
  [[nodiscard]] bool has(const std::string& key) const;
  // Declares keys as known without reading them.
  void allow(const std::string& key);
  // All keys in document order (for maps with free-form keys).
  [[nodiscard]] std::vector<std::pair<YAML::Node, YAML::Node>> entries() const;
  // Reports unknown keys. Called by the destructor if not called explicitly.
  void finish();
  [[nodiscard]] const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  Diagnostics& diag_;
  std::string what_;
  bool ok_ = false;
  bool finished_ = false;
  std::vector<std::string> known_;
};

enum class BoolSyntax {
  Yaml12,  // true/false only
  Yaml11,  // also yes/no/on/off/y/n in any case, as PyYAML reads them
};

// Typed readers: each returns nullopt (after recording a diagnostic that
// names `what`) when the node has the wrong type. An undefined node (absent
// key) yields nullopt without a diagnostic.
std::optional<std::string> read_string(const YAML::Node& n, Diagnostics& d,
                                       std::string_view what);
std::optional<bool> read_bool(const YAML::Node& n, Diagnostics& d, std::string_view what,
                              BoolSyntax syntax = BoolSyntax::Yaml12);
std::optional<int64_t> read_int(const YAML::Node& n, Diagnostics& d, std::string_view what,
                                int64_t min = INT64_MIN, int64_t max = INT64_MAX);
// A sequence of strings (a single string is accepted when `allow_scalar`).
std::optional<std::vector<std::string>> read_string_list(const YAML::Node& n, Diagnostics& d,
                                                         std::string_view what,
                                                         bool allow_scalar = false);

}  // namespace kiln
