#include "util/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <yaml-cpp/depthguard.h>

#include "util/strings.hpp"

namespace kiln {

std::optional<YAML::Node> parse_yaml(std::string_view text, Diagnostics& diag) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp words this one "bad file".
    diag.error(e.mark.line + 1, e.mark.column + 1,
               "invalid YAML: nested more than " + std::to_string(e.depth()) + " levels deep");
  } catch (const YAML::ParserException& e) {
    diag.error(e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark.line + 1, e.mark.column + 1, std::string("invalid YAML: ") + e.msg);
  }
  return std::nullopt;
}

int yaml_line(const YAML::Node& n) {
  return n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}
int yaml_column(const YAML::Node& n) {
  return n.IsDefined() && n.Mark().column >= 0 ? n.Mark().column + 1 : 0;
}

void yaml_error(Diagnostics& d, const YAML::Node& at, std::string message) {
  d.error(yaml_line(at), yaml_column(at), std::move(message));
}
void yaml_warning(Diagnostics& d, const YAML::Node& at, std::string message) {
  d.warning(yaml_line(at), yaml_column(at), std::move(message));
}

bool yaml_is_null(const YAML::Node& n) {
  if (n.IsNull()) return true;
  if (!n.IsScalar() || n.Tag() != "?") return false;
  const std::string& s = n.Scalar();
  return s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty();
}

std::string yaml_kind(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a sequence";
  if (yaml_is_null(n)) return "null";
  return "a scalar";
}

StrictMap::StrictMap(const YAML::Node& node, Diagnostics& diag, std::string what)
    : node_(node), diag_(diag), what_(std::move(what)) {
  if (!node.IsDefined()) return;
  if (!node.IsMap()) {
    yaml_error(diag_, node, what_ + " must be a mapping, got " + yaml_kind(node));
    finished_ = true;
    return;
  }
  ok_ = true;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      yaml_error(diag_, it->first, "keys in " + what_ + " must be strings");
      continue;
    }
    const std::string& k = it->first.Scalar();
    if (!seen.insert(k).second) {
      yaml_error(diag_, it->first, "duplicate key '" + k + "' in " + what_);
    }
  }
}

StrictMap::~StrictMap() {
  try {
    finish();
  } catch (...) {  // NOLINT(bugprone-empty-catch): destructors must not throw
  }
}

YAML::Node StrictMap::get(const std::string& key) {
  allow(key);
  if (!ok_) return YAML::Node(YAML::NodeType::Undefined);
  // First occurrence wins; later duplicates were reported already.
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node StrictMap::require(const std::string& key) {
  YAML::Node n = get(key);
  if (ok_ && !n.IsDefined()) {
    yaml_error(diag_, node_, what_ + " is missing required key '" + key + "'");
  }
  return n;
}

bool StrictMap::has(const std::string& key) const {
  if (!ok_) return false;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  }
  return false;
}

void StrictMap::allow(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
}

std::vector<std::pair<YAML::Node, YAML::Node>> StrictMap::entries() const {
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  if (!ok_) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.emplace_back(it->first, it->second);
  return out;
}

void StrictMap::finish() {
  if (finished_) return;
  finished_ = true;
  if (!ok_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string& k = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    std::string hint = closest_match(k, known_);
    yaml_error(diag_, it->first,
               "unknown key '" + k + "' in " + what_ +
                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
}

std::optional<std::string> read_string(const YAML::Node& n, Diagnostics& d,
                                       std::string_view what) {
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar() || yaml_is_null(n)) {
    yaml_error(d, n, std::string(what) + " must be a string, got " + yaml_kind(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<bool> read_bool(const YAML::Node& n, Diagnostics& d, std::string_view what,
                              BoolSyntax syntax) {
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsScalar() && n.Tag() == "?") {
    std::string s = n.Scalar();
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true") return true;
    if (lower == "false") return false;
    if (syntax == BoolSyntax::Yaml11) {
      if (lower == "yes" || lower == "on" || lower == "y") return true;
      if (lower == "no" || lower == "off" || lower == "n") return false;
    }
  }
  yaml_error(d, n,
             std::string(what) + " must be true or false, got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : yaml_kind(n)));
  return std::nullopt;
}

std::optional<int64_t> read_int(const YAML::Node& n, Diagnostics& d, std::string_view what,
                                int64_t min, int64_t max) {
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsScalar() && n.Tag() == "?") {
    const std::string& s = n.Scalar();
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) {
      if (v >= min && v <= max) return v;
      yaml_error(d, n,
                 std::string(what) + " must be between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", got " + s);
      return std::nullopt;
    }
  }
  yaml_error(d, n,
             std::string(what) + " must be an integer, got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : yaml_kind(n)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> read_string_list(const YAML::Node& n, Diagnostics& d,
                                                         std::string_view what,
                                                         bool allow_scalar) {
  if (!n.IsDefined()) return std::nullopt;
  if (allow_scalar && n.IsScalar() && !yaml_is_null(n)) return std::vector<std::string>{n.Scalar()};
  if (!n.IsSequence()) {
    yaml_error(d, n, std::string(what) + " must be a list of strings, got " + yaml_kind(n));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : n) {
    if (!item.IsScalar() || yaml_is_null(item)) {
      yaml_error(d, item, std::string(what) + " entries must be strings, got " + yaml_kind(item));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace kiln
