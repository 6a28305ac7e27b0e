#include "firstboot/rke2_render.hpp"

#include <yaml-cpp/yaml.h>

#include "util/error.hpp"

namespace kiln::firstboot {
namespace {

void emit_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& v : values) out << YAML::DoubleQuoted << v;
  out << YAML::EndSeq;
}

void emit_string(YAML::Emitter& out, const char* key, const std::optional<std::string>& v) {
  if (v) out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << *v;
}

// Re-emits a passthrough value as written: a quoted scalar stays quoted, so
// "0600" stays a string for RKE2 instead of becoming the number 384.
void emit_as_written(YAML::Emitter& out, const YAML::Node& n) {
  if (n.IsMap()) {
    out << YAML::BeginMap;
    for (auto it = n.begin(); it != n.end(); ++it) {
      out << YAML::Key;
      emit_as_written(out, it->first);
      out << YAML::Value;
      emit_as_written(out, it->second);
    }
    out << YAML::EndMap;
  } else if (n.IsSequence()) {
    out << YAML::BeginSeq;
    for (const auto& item : n) emit_as_written(out, item);
    out << YAML::EndSeq;
  } else if (n.IsNull() || (n.Tag() == "?" &&
                            (n.Scalar().empty() || n.Scalar() == "~" || n.Scalar() == "null"))) {
    out << YAML::Null;
  } else if (n.Tag() == "?") {
    out << n.Scalar();
  } else {
    out << YAML::DoubleQuoted << n.Scalar();
  }
}

}  // namespace

std::string render_rke2_config(const Rke2Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (c.role == Rke2Role::Server && c.cluster_init)
    out << YAML::Key << "cluster-init" << YAML::Value << true;
  emit_string(out, "server", c.server);
  if (c.token) {
    out << YAML::Key << "token-file" << YAML::Value << YAML::DoubleQuoted << kRke2TokenPath;
  } else {
    emit_string(out, "token-file", c.token_file);
  }
  emit_string(out, "node-name", c.node_name);
  emit_list(out, "node-label", c.node_labels);
  emit_list(out, "node-taint", c.node_taints);
  emit_list(out, "tls-san", c.tls_sans);
  if (!c.cni.empty()) {
    if (c.cni.size() == 1) {
      emit_string(out, "cni", c.cni.front());
    } else {
      emit_list(out, "cni", c.cni);
    }
  }
  emit_string(out, "profile", c.profile);
  if (c.selinux) out << YAML::Key << "selinux" << YAML::Value << *c.selinux;
  emit_string(out, "system-default-registry", c.system_default_registry);
  if (c.passthrough.IsDefined() && c.passthrough.IsMap()) {
    for (auto it = c.passthrough.begin(); it != c.passthrough.end(); ++it) {
      out << YAML::Key << it->first.Scalar() << YAML::Value;
      emit_as_written(out, it->second);
    }
  }
  out << YAML::EndMap;
  std::string body = out.c_str();
  if (body == "{}") body.clear();
  return "# Written by kiln-firstboot from the rke2 section of cloud-config (role " +
         c.role_name() + ").\n" + (body.empty() ? "" : body + "\n");
}

std::string render_registries(const Rke2Config& c, const std::optional<std::string>& existing,
                              const std::string& existing_name) {
  YAML::Node root(YAML::NodeType::Map);
  if (existing) {
    try {
      YAML::Node parsed = YAML::Load(*existing);
      if (parsed.IsMap())
        root = parsed;
      else if (!parsed.IsNull())
        throw Error("read '" + existing_name + "': not a YAML mapping");
    } catch (const YAML::Exception& e) {
      throw Error("read '" + existing_name + "': invalid YAML: " + e.msg);
    }
  }
  for (const auto& m : c.mirrors) {
    YAML::Node entry(YAML::NodeType::Map);
    for (const auto& e : m.endpoints) entry["endpoint"].push_back(e);
    for (const auto& [from, to] : m.rewrites) entry["rewrite"][from] = to;
    root["mirrors"][m.registry] = entry;
  }
  for (const auto& cfg : c.configs) {
    YAML::Node entry(YAML::NodeType::Map);
    if (cfg.auth) {
      YAML::Node a(YAML::NodeType::Map);
      if (cfg.auth->username) a["username"] = *cfg.auth->username;
      if (cfg.auth->password) a["password"] = *cfg.auth->password;
      if (cfg.auth->auth) a["auth"] = *cfg.auth->auth;
      if (cfg.auth->identity_token) a["identity_token"] = *cfg.auth->identity_token;
      entry["auth"] = a;
    }
    if (cfg.tls) {
      YAML::Node t(YAML::NodeType::Map);
      if (cfg.tls->cert_file) t["cert_file"] = *cfg.tls->cert_file;
      if (cfg.tls->key_file) t["key_file"] = *cfg.tls->key_file;
      if (cfg.tls->ca_file) t["ca_file"] = *cfg.tls->ca_file;
      if (cfg.tls->insecure_skip_verify) t["insecure_skip_verify"] = *cfg.tls->insecure_skip_verify;
      entry["tls"] = t;
    }
    root["configs"][cfg.registry] = entry;
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace kiln::firstboot
