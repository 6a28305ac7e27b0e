#include "firstboot/yaml_helpers.hpp"

#include "firstboot/names.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {

std::optional<std::vector<StringAt>> read_strings(const YAML::Node& n, Diagnostics& d,
                                                  std::string_view what, bool allow_scalar) {
  if (!n.IsDefined()) return std::nullopt;
  std::vector<StringAt> out;
  if (allow_scalar && n.IsScalar() && !yaml_is_null(n)) {
    out.push_back({n.Scalar(), n});
    return out;
  }
  if (!n.IsSequence()) {
    yaml_error(d, n,
               std::string(what) + " must be " + (allow_scalar ? "a string or " : "") +
                   "a list of strings, got " + yaml_kind(n));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : n) {
    if (!item.IsScalar() || yaml_is_null(item)) {
      yaml_error(d, item, std::string(what) + " entries must be strings, got " + yaml_kind(item));
      ok = false;
      continue;
    }
    out.push_back({item.Scalar(), item});
  }
  if (!ok) return std::nullopt;
  return out;
}

bool expect_sequence(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  if (n.IsSequence()) return true;
  yaml_error(d, n, std::string(what) + " must be a list, got " + yaml_kind(n));
  return false;
}

std::vector<std::pair<YAML::Node, YAML::Node>> read_free_map(const YAML::Node& n, Diagnostics& d,
                                                             const std::string& what) {
  StrictMap m(n, d, what);
  auto entries = m.entries();
  for (const auto& [k, v] : entries) {
    if (k.IsScalar()) m.allow(k.Scalar());
  }
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  for (auto& e : entries) {
    if (e.first.IsScalar()) out.push_back(std::move(e));
  }
  return out;
}

std::optional<bool> read_flag(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  return read_bool(n, d, what, BoolSyntax::Yaml11);
}

std::optional<std::string> read_line(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  auto s = read_string(n, d, what);
  if (s && has_control_chars(*s)) {
    yaml_error(d, n, std::string(what) + " must be a single line without control characters");
    return std::nullopt;
  }
  return s;
}

}  // namespace kiln::firstboot
