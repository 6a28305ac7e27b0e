#include <set>

#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/cloud_init_keys.hpp"
#include "firstboot/names.hpp"
#include "firstboot/ssh_public_key.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {
namespace {

// Keys of a users entry that kiln-firstboot applies.
const std::vector<std::string> kUserKeys = {
    "name",  "gecos",       "groups",        "sudo",
    "shell", "lock_passwd", "hashed_passwd", "ssh_authorized_keys",
    "system"};

std::vector<std::string> read_groups(const YAML::Node& n, Diagnostics& d, const std::string& what) {
  std::vector<std::string> out;
  auto items = read_strings(n, d, what);
  if (!items) return out;
  for (const auto& it : *items) {
    // cloud-init also accepts "a, b" in one string.
    for (const auto& part : split(it.value, ',')) {
      std::string g(trim(part));
      std::string why = check_account_name(g);
      if (!why.empty()) {
        yaml_error(d, it.node, what + " entry '" + g + "' " + why);
        continue;
      }
      out.push_back(g);
    }
  }
  return out;
}

std::vector<std::string> read_sudo(const YAML::Node& n, Diagnostics& d, const std::string& what) {
  std::vector<std::string> out;
  if (!n.IsDefined() || yaml_is_null(n)) return out;
  if (n.IsScalar() && n.Tag() == "?") {
    // `sudo: false` means no rule, as in cloud-init.
    std::string lower = n.Scalar();
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "false" || lower == "no" || lower == "off") return out;
    if (lower == "true" || lower == "yes" || lower == "on") {
      yaml_error(d, n, what + " must be a sudoers rule such as 'ALL=(ALL) NOPASSWD:ALL' or false");
      return out;
    }
  }
  auto items = read_strings(n, d, what);
  if (!items) return out;
  for (const auto& it : *items) {
    if (trim(it.value).empty() || has_control_chars(it.value)) {
      yaml_error(d, it.node, what + " rules must be single non-empty lines");
      continue;
    }
    out.push_back(it.value);
  }
  return out;
}

bool looks_like_crypt_hash(const std::string& s) {
  // crypt(3) formats: $id$..., or a locked/disabled marker.
  return (s.size() > 3 && s[0] == '$' && s.find('$', 1) != std::string::npos) || s == "*" ||
         s == "!";
}

UserSpec parse_user_map(const YAML::Node& n, Diagnostics& d, const std::string& what) {
  UserSpec u;
  u.line = yaml_line(n);
  StrictMap m(n, d, what);
  for (const auto& [k, v] : m.entries()) {
    if (!k.IsScalar()) continue;
    const std::string& key = k.Scalar();
    if (std::find(kUserKeys.begin(), kUserKeys.end(), key) == kUserKeys.end() &&
        is_cloud_init_user_key(key)) {
      m.allow(key);
      yaml_warning(d, k,
                   what + "." + key +
                       " is valid cloud-config but kiln-firstboot does not support it; ignored");
    }
  }
  YAML::Node name = m.require("name");
  if (auto s = read_line(name, d, what + ".name")) {
    std::string why = check_account_name(*s);
    if (*s == "default") {
      yaml_error(d, name,
                 what + ".name 'default' is reserved; write the entry as the string 'default'");
    } else if (!why.empty()) {
      yaml_error(d, name, what + ".name '" + *s + "' " + why);
    } else {
      u.name = *s;
    }
  }
  if (YAML::Node g = m.get("gecos"); g.IsDefined()) {
    auto s = read_line(g, d, what + ".gecos");
    if (s && s->find(':') != std::string::npos) {
      yaml_error(d, g, what + ".gecos must not contain ':'");
    } else {
      u.gecos = s;
    }
  }
  u.groups = read_groups(m.get("groups"), d, what + ".groups");
  u.sudo = read_sudo(m.get("sudo"), d, what + ".sudo");
  if (YAML::Node sh = m.get("shell"); sh.IsDefined()) {
    auto s = read_line(sh, d, what + ".shell");
    if (s && (!s->starts_with("/") || s->find(':') != std::string::npos)) {
      yaml_error(d, sh, what + ".shell must be an absolute path, got '" + *s + "'");
    } else {
      u.shell = s;
    }
  }
  u.lock_passwd = read_flag(m.get("lock_passwd"), d, what + ".lock_passwd").value_or(true);
  if (YAML::Node h = m.get("hashed_passwd"); h.IsDefined()) {
    // A secret: the messages never quote it.
    auto s = read_line(h, d, what + ".hashed_passwd");
    if (s && (!looks_like_crypt_hash(*s) || s->find(':') != std::string::npos)) {
      yaml_error(
          d, h,
          what + ".hashed_passwd must be a crypt(3) hash such as $6$...; plain text is refused");
    } else {
      u.hashed_passwd = s;
    }
  }
  u.ssh_authorized_keys =
      read_ssh_keys(m.get("ssh_authorized_keys"), d, what + ".ssh_authorized_keys");
  u.system = read_flag(m.get("system"), d, what + ".system").value_or(false);
  return u;
}

}  // namespace

std::vector<std::string> read_ssh_keys(const YAML::Node& n, Diagnostics& d, const std::string& what,
                                       bool allow_scalar) {
  std::vector<std::string> out;
  auto items = read_strings(n, d, what, allow_scalar);
  if (!items) return out;
  for (size_t i = 0; i < items->size(); ++i) {
    const auto& it = (*items)[i];
    std::string key(trim(it.value));
    SshKeyParse parsed = parse_ssh_public_key(key);
    if (!parsed.key) {
      std::string index = n.IsSequence() ? "[" + std::to_string(i) + "]" : "";
      yaml_error(d, it.node,
                 what + index +
                     " is not an OpenSSH public key ([OPTIONS] TYPE BASE64 [COMMENT]): it " +
                     parsed.error);
      continue;
    }
    out.push_back(key);
  }
  return out;
}

UserSpec default_user() {
  UserSpec u;
  u.name = kDefaultUserName;
  u.is_default = true;
  u.gecos = "kiln operator";
  u.sudo = {"ALL=(ALL) NOPASSWD:ALL"};
  u.lock_passwd = true;
  return u;
}

std::vector<UserSpec> parse_users(const YAML::Node& n, Diagnostics& d) {
  std::vector<UserSpec> out;
  std::vector<std::pair<std::string, YAML::Node>> entries;  // name or "" for maps
  if (n.IsScalar() && !yaml_is_null(n)) {
    // cloud-init accepts "default, alice" as a string.
    for (const auto& part : split(n.Scalar(), ','))
      entries.emplace_back(std::string(trim(part)), n);
  } else if (expect_sequence(n, d, "users")) {
    for (const auto& item : n) entries.emplace_back(item.IsScalar() ? item.Scalar() : "", item);
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [name, node] = entries[i];
    const std::string what = "users[" + std::to_string(i) + "]";
    UserSpec u;
    if (node.IsMap()) {
      u = parse_user_map(node, d, what);
    } else if (!node.IsScalar() || yaml_is_null(node)) {
      yaml_error(d, node,
                 what + " must be 'default', a user name or a mapping, got " + yaml_kind(node));
      continue;
    } else if (name == "default") {
      u = default_user();
      u.line = yaml_line(node);
    } else {
      std::string why = check_account_name(name);
      if (!why.empty()) {
        yaml_error(d, node, what + " user name '" + name + "' " + why);
        continue;
      }
      u.name = name;
      u.line = yaml_line(node);
    }
    if (u.name.empty()) continue;
    if (!seen.insert(u.name).second) {
      yaml_error(d, node, what + " declares user '" + u.name + "' a second time");
      continue;
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace kiln::firstboot
