#include "firstboot/rke2_parse.hpp"

#include <algorithm>

#include "firstboot/names.hpp"
#include "firstboot/rke2_profile.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {
namespace {

// The typed keys: they are RKE2 option names too, so `config:` must not
// repeat them (two spellings of one option would be ambiguous).
const std::vector<std::string> kTypedKeys = {
    "cluster-init", "server",  "token", "token-file", "node-name", "node-label",
    "node-taint",   "tls-san", "cni",   "profile",    "selinux",   "system-default-registry"};

const std::vector<std::string> kCnis = {"canal", "calico", "cilium", "flannel", "multus", "none"};

std::string join_quoted(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const auto& s : v) q.push_back("'" + s + "'");
  return join(q, ", ");
}

bool is_http_url(const std::string& s, bool https_only) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = std::string_view(s).substr(8);
  } else if (!https_only && s.starts_with("http://")) {
    rest = std::string_view(s).substr(7);
  } else {
    return false;
  }
  return !rest.empty() && rest.front() != '/' && !has_control_chars(rest) &&
         rest.find(' ') == std::string_view::npos;
}

void parse_server_url(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  auto s = read_line(n, d, "rke2.server");
  if (!s) return;
  if (!is_http_url(*s, true)) {
    yaml_error(
        d, n,
        "rke2.server must be an https:// URL such as https://10.0.0.1:9345, got '" + *s + "'");
    return;
  }
  c.server = *s;
}

void parse_token(StrictMap& m, Diagnostics& d, Rke2Config& c) {
  YAML::Node token = m.get("token");
  YAML::Node token_file = m.get("token-file");
  if (token.IsDefined() && token_file.IsDefined()) {
    yaml_error(d, token_file, "rke2.token and rke2.token-file are mutually exclusive");
    return;
  }
  // The token is a secret: messages never quote it.
  if (auto t = read_line(token, d, "rke2.token")) {
    if (t->empty() || t->find(' ') != std::string::npos) {
      yaml_error(d, token, "rke2.token must be non-empty without spaces");
    } else {
      c.token = *t;
    }
  }
  if (auto f = read_line(token_file, d, "rke2.token-file")) {
    if (!f->starts_with("/")) {
      yaml_error(d, token_file, "rke2.token-file must be an absolute path, got '" + *f + "'");
    } else {
      c.token_file = *f;
    }
  }
}

void parse_labels(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  auto items = read_strings(n, d, "rke2.node-label");
  if (!items) return;
  for (const auto& it : *items) {
    if (std::string why = check_label(it.value); !why.empty()) {
      yaml_error(d, it.node, "rke2.node-label entry '" + abbreviate(it.value) + "' " + why);
      continue;
    }
    c.node_labels.push_back(it.value);
  }
}

void parse_taints(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  auto items = read_strings(n, d, "rke2.node-taint");
  if (!items) return;
  for (const auto& it : *items) {
    if (std::string why = check_taint(it.value); !why.empty()) {
      yaml_error(d, it.node, "rke2.node-taint entry '" + abbreviate(it.value) + "' " + why);
      continue;
    }
    c.node_taints.push_back(it.value);
  }
}

void parse_cni(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  auto items = read_strings(n, d, "rke2.cni");
  if (!items) return;
  for (const auto& it : *items) {
    if (std::find(kCnis.begin(), kCnis.end(), it.value) == kCnis.end()) {
      std::string hint = closest_match(it.value, kCnis);
      yaml_error(d, it.node,
                 "rke2.cni '" + it.value + "' is not one of " + join_quoted(kCnis) +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      continue;
    }
    c.cni.push_back(it.value);
  }
}

void parse_profile(const YAML::Node& n, Diagnostics& d, const TargetFacts& facts, Rke2Config& c) {
  auto p = read_line(n, d, "rke2.profile");
  if (!p) return;
  std::vector<std::string> accepted = all_known_profiles();
  std::string against = "any RKE2 release";
  if (facts.rke2_version) {
    if (auto v = parse_rke2_version(*facts.rke2_version)) {
      accepted = accepted_profiles(*v);
      against = "RKE2 " + *facts.rke2_version;
    }
  }
  if (std::find(accepted.begin(), accepted.end(), *p) == accepted.end()) {
    yaml_error(d, n,
               "rke2.profile '" + *p + "' is not accepted by " + against +
                   " (valid: " + join_quoted(accepted) + ")");
    return;
  }
  c.profile = *p;
}

void parse_registry_name(const YAML::Node& key, Diagnostics& d, const std::string& what) {
  const std::string& k = key.Scalar();
  if (k.empty() || k.find("://") != std::string::npos || k.find('/') != std::string::npos ||
      has_control_chars(k) || k.find(' ') != std::string::npos) {
    yaml_error(d, key,
               what +
                   " key must be a registry host such as docker.io or registry.local:5000, got '" +
                   k + "'");
  }
}

void parse_mirrors(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  for (const auto& [key, value] : read_free_map(n, d, "rke2.registries.mirrors")) {
    parse_registry_name(key, d, "rke2.registries.mirrors");
    const std::string where = "rke2.registries.mirrors." + key.Scalar();
    StrictMap m(value, d, where);
    if (!m.ok()) continue;
    RegistryMirror mirror;
    mirror.registry = key.Scalar();
    if (auto eps = read_strings(m.require("endpoint"), d, where + ".endpoint", false)) {
      for (const auto& e : *eps) {
        if (!is_http_url(e.value, false)) {
          yaml_error(
              d, e.node,
              where + ".endpoint entries must be http:// or https:// URLs, got '" + e.value + "'");
          continue;
        }
        mirror.endpoints.push_back(e.value);
      }
    }
    for (const auto& [from, to] : read_free_map(m.get("rewrite"), d, where + ".rewrite")) {
      auto target = read_line(to, d, where + ".rewrite." + from.Scalar());
      if (target) mirror.rewrites.emplace_back(from.Scalar(), *target);
    }
    c.mirrors.push_back(std::move(mirror));
  }
}

void parse_configs(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  for (const auto& [key, value] : read_free_map(n, d, "rke2.registries.configs")) {
    parse_registry_name(key, d, "rke2.registries.configs");
    const std::string where = "rke2.registries.configs." + key.Scalar();
    StrictMap m(value, d, where);
    if (!m.ok()) continue;
    RegistryConfigEntry entry;
    entry.registry = key.Scalar();
    if (YAML::Node auth = m.get("auth"); auth.IsDefined()) {
      StrictMap a(auth, d, where + ".auth");
      RegistryAuth ra;
      ra.username = read_line(a.get("username"), d, where + ".auth.username");
      ra.password = read_line(a.get("password"), d, where + ".auth.password");
      ra.auth = read_line(a.get("auth"), d, where + ".auth.auth");
      ra.identity_token = read_line(a.get("identity_token"), d, where + ".auth.identity_token");
      if (a.ok()) entry.auth = ra;
    }
    if (YAML::Node tls = m.get("tls"); tls.IsDefined()) {
      StrictMap t(tls, d, where + ".tls");
      RegistryTls rt;
      rt.cert_file = read_line(t.get("cert_file"), d, where + ".tls.cert_file");
      rt.key_file = read_line(t.get("key_file"), d, where + ".tls.key_file");
      rt.ca_file = read_line(t.get("ca_file"), d, where + ".tls.ca_file");
      rt.insecure_skip_verify =
          read_flag(t.get("insecure_skip_verify"), d, where + ".tls.insecure_skip_verify");
      if (t.ok()) entry.tls = rt;
    }
    c.configs.push_back(std::move(entry));
  }
}

// RKE2's flag names: [a-z][a-z0-9-]*.
bool is_option_name(std::string_view k) {
  if (k.empty() || k.front() < 'a' || k.front() > 'z') return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void parse_passthrough(const YAML::Node& n, Diagnostics& d, Rke2Config& c) {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& [key, value] : read_free_map(n, d, "rke2.config")) {
    const std::string& k = key.Scalar();
    if (std::find(kTypedKeys.begin(), kTypedKeys.end(), k) != kTypedKeys.end()) {
      yaml_error(
          d, key,
          "rke2.config." + k + " repeats the typed key rke2." + k + "; set it there instead");
      continue;
    }
    if (!is_option_name(k)) {
      yaml_error(d, key,
                 "rke2.config key '" + abbreviate(k) +
                     "' is not an RKE2 option name (lowercase words joined by '-')");
      continue;
    }
    out[k] = value;
  }
  c.passthrough = out;
}

void check_role_rules(const StrictMap& m, const YAML::Node& section, Diagnostics& d,
                      Rke2Config& c) {
  const bool has_token = c.token || c.token_file;
  if (c.role == Rke2Role::Agent) {
    if (c.cluster_init) yaml_error(d, section, "rke2.cluster-init is only valid for role server");
    if (!c.server)
      yaml_error(d, section, "rke2: an agent needs rke2.server, the URL of a server to join");
    if (!has_token && !m.has("token") && !m.has("token-file")) {
      yaml_error(d, section, "rke2: an agent needs rke2.token or rke2.token-file to join");
    }
    return;
  }
  if (c.cluster_init && c.server) {
    yaml_error(d, section,
               "rke2.cluster-init starts a new cluster and cannot be combined with rke2.server");
    return;
  }
  if (!c.cluster_init && !m.has("server")) {
    yaml_error(
        d, section,
        "rke2: a server without cluster-init joins an existing cluster and needs rke2.server "
        "(set cluster-init: true on the first server)");
  } else if (!c.cluster_init && !has_token && !m.has("token") && !m.has("token-file")) {
    yaml_error(d, section, "rke2: a joining server needs rke2.token or rke2.token-file");
  }
}

}  // namespace

std::optional<Rke2Config> parse_rke2_section(const YAML::Node& node, Diagnostics& d,
                                             const TargetFacts& facts) {
  StrictMap m(node, d, "rke2");
  if (!m.ok()) return std::nullopt;
  Rke2Config c;
  const size_t errors_before = d.errors().size();
  if (facts.image_json_found && !facts.image_has_rke2) {
    yaml_error(d, node,
               "rke2: this image has no RKE2 (its " + std::string(kImageJsonPath) + " lists none)");
  }
  YAML::Node role = m.require("role");
  if (auto r = read_line(role, d, "rke2.role")) {
    if (*r == "server") {
      c.role = Rke2Role::Server;
    } else if (*r == "agent") {
      c.role = Rke2Role::Agent;
    } else {
      yaml_error(d, role, "rke2.role must be 'server' or 'agent', got '" + *r + "'");
    }
  }
  c.cluster_init = read_flag(m.get("cluster-init"), d, "rke2.cluster-init").value_or(false);
  if (YAML::Node s = m.get("server"); s.IsDefined()) parse_server_url(s, d, c);
  parse_token(m, d, c);
  if (YAML::Node nn = m.get("node-name"); nn.IsDefined()) {
    if (auto name = read_line(nn, d, "rke2.node-name")) {
      std::string why = check_hostname(*name);
      if (!why.empty()) {
        yaml_error(d, nn, "rke2.node-name '" + *name + "' " + why);
      } else {
        c.node_name = *name;
      }
    }
  }
  parse_labels(m.get("node-label"), d, c);
  parse_taints(m.get("node-taint"), d, c);
  if (auto sans = read_strings(m.get("tls-san"), d, "rke2.tls-san")) {
    for (const auto& s : *sans) {
      if (s.value.empty() || has_control_chars(s.value) || s.value.find(' ') != std::string::npos) {
        yaml_error(
            d, s.node,
            "rke2.tls-san entries must be host names or IP addresses, got '" + s.value + "'");
      } else {
        c.tls_sans.push_back(s.value);
      }
    }
  }
  parse_cni(m.get("cni"), d, c);
  if (YAML::Node p = m.get("profile"); p.IsDefined()) parse_profile(p, d, facts, c);
  c.selinux = read_flag(m.get("selinux"), d, "rke2.selinux");
  if (YAML::Node r = m.get("system-default-registry"); r.IsDefined()) {
    if (auto reg = read_line(r, d, "rke2.system-default-registry")) {
      if (reg->empty() || reg->find("://") != std::string::npos ||
          reg->find(' ') != std::string::npos) {
        yaml_error(d, r,
                   "rke2.system-default-registry must be a registry host such as "
                   "registry.local:5000, got '" +
                       *reg + "'");
      } else {
        c.system_default_registry = *reg;
      }
    }
  }
  if (YAML::Node regs = m.get("registries"); regs.IsDefined()) {
    StrictMap rm(regs, d, "rke2.registries");
    if (rm.ok()) {
      c.has_registries = true;
      parse_mirrors(rm.get("mirrors"), d, c);
      parse_configs(rm.get("configs"), d, c);
    }
  }
  parse_passthrough(m.get("config"), d, c);
  m.finish();
  // Cross-key rules only make sense once every key read cleanly.
  if (d.errors().size() == errors_before) check_role_rules(m, node, d, c);
  return c;
}

}  // namespace kiln::firstboot
