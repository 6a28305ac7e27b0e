#include "builder/overlay_manifest.hpp"

#include <regex>
#include <set>

#include "builder/build_context.hpp"
#include "builder/spec_values.hpp"
#include "util/diagnostics.hpp"
#include "util/yaml_reader.hpp"

namespace kiln {
namespace {

// What useradd accepts for a system account name.
bool valid_account_name(const std::string& s) {
  static const std::regex re("^[a-z_][a-z0-9_-]{0,31}$");
  return std::regex_match(s, re);
}

std::optional<std::string> read_account(const YAML::Node& n, Diagnostics& d,
                                        const std::string& what) {
  auto s = read_string(n, d, what);
  if (s && !valid_account_name(*s)) {
    yaml_error(
        d, n,
        what + " '" + *s +
            "' is not a valid account name (lowercase letters, digits, '_', '-'; at most 32)");
    return std::nullopt;
  }
  return s;
}

void parse_groups(const YAML::Node& n, Diagnostics& d, OverlayManifest& m) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    yaml_error(d, n, "groups must be a list, got " + yaml_kind(n));
    return;
  }
  for (const auto& item : n) {
    if (auto g = read_account(item, d, "group name")) m.groups.push_back(*g);
  }
}

void parse_users(const YAML::Node& n, Diagnostics& d, OverlayManifest& m) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    yaml_error(d, n, "users must be a list, got " + yaml_kind(n));
    return;
  }
  std::set<std::string> seen;
  for (const auto& item : n) {
    StrictMap u(item, d, "user");
    if (!u.ok()) continue;
    SystemUser user;
    auto name = read_account(u.require("name"), d, "user name");
    if (auto g = read_account(u.get("group"), d, "user group")) user.group = *g;
    if (auto c = read_string(u.get("comment"), d, "user comment")) {
      if (c->find_first_of(":\n") != std::string::npos) {
        yaml_error(d, u.get("comment"), "user comment must not contain ':' or a newline");
      }
      user.comment = *c;
    }
    if (auto h = spec::read_image_path(u.get("home"), d, "user home")) user.home = *h;
    if (auto s = spec::read_image_path(u.get("shell"), d, "user shell")) user.shell = *s;
    if (!name) continue;
    user.name = *name;
    if (!seen.insert(user.name).second) {
      yaml_error(d, item, "user '" + user.name + "' is listed twice");
      continue;
    }
    m.users.push_back(std::move(user));
  }
}

void parse_files(const YAML::Node& n, Diagnostics& d, OverlayManifest& m) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    yaml_error(d, n, "files must be a list, got " + yaml_kind(n));
    return;
  }
  for (const auto& item : n) {
    StrictMap f(item, d, "files entry");
    if (!f.ok()) continue;
    spec::FileAttributes fa;
    auto path = spec::read_image_path(f.require("path"), d, "files.path");
    fa.owner = spec::read_owner(f.get("owner"), d, "files.owner");
    fa.mode = spec::read_mode(f.get("mode"), d, "files.mode");
    if (!f.has("owner") && !f.has("mode"))
      yaml_error(d, item, "files entry sets neither owner nor mode");
    if (!path) continue;
    fa.path = *path;
    m.files.push_back(std::move(fa));
  }
}

void parse_cmdline(const YAML::Node& n, Diagnostics& d, OverlayManifest& m) {
  auto args = read_string_list(n, d, "cmdline");
  if (!args) return;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a.empty() || a.find_first_of(" \t\n\"") != std::string::npos) {
      yaml_error(d, n[i], "cmdline argument '" + a + "' must be one word without quotes");
      continue;
    }
    m.cmdline.push_back(a);
  }
}

void parse_requirements(const YAML::Node& n, Diagnostics& d, OverlayManifest& m) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    yaml_error(d, n, "requires must be a list, got " + yaml_kind(n));
    return;
  }
  for (const auto& item : n) {
    StrictMap r(item, d, "requires entry");
    if (!r.ok()) continue;
    auto path = spec::read_image_path(r.require("path"), d, "requires.path");
    auto message = read_string(r.require("message"), d, "requires.message");
    if (message && message->find('\n') != std::string::npos) {
      yaml_error(d, r.get("message"), "requires.message must be one line");
      continue;
    }
    if (path && message) m.requirements.push_back({*path, *message});
  }
}

}  // namespace

OverlayManifest parse_overlay_manifest(const std::string& text, const std::string& display_name) {
  Diagnostics d(display_name);
  OverlayManifest m;
  auto root = parse_yaml(text, d);
  if (root && !yaml_is_null(*root)) {
    StrictMap top(*root, d, "an overlay manifest");
    if (top.ok()) {
      parse_groups(top.get("groups"), d, m);
      parse_users(top.get("users"), d, m);
      parse_files(top.get("files"), d, m);
      parse_cmdline(top.get("cmdline"), d, m);
      parse_requirements(top.get("requires"), d, m);
    }
    top.finish();
  }
  d.throw_if_errors(kExitInvalid);
  return m;
}

}  // namespace kiln
