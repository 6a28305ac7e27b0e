#include "airgap/registries_yaml.hpp"

#include <yaml-cpp/yaml.h>

namespace kiln::airgap {

std::string render_registries_yaml(const std::vector<RegistryMirrorConfig>& mirrors,
                                   const std::vector<RegistryHostConfig>& configs) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!mirrors.empty()) {
    out << YAML::Key << "mirrors" << YAML::Value << YAML::BeginMap;
    for (const auto& m : mirrors) {
      out << YAML::Key << YAML::DoubleQuoted << m.registry << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "endpoint" << YAML::Value << YAML::BeginSeq;
      for (const auto& e : m.endpoints) out << YAML::DoubleQuoted << e;
      out << YAML::EndSeq;
      if (!m.rewrites.empty()) {
        out << YAML::Key << "rewrite" << YAML::Value << YAML::BeginMap;
        for (const auto& [from, to] : m.rewrites) {
          out << YAML::Key << YAML::DoubleQuoted << from << YAML::Value << YAML::DoubleQuoted << to;
        }
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (!configs.empty()) {
    out << YAML::Key << "configs" << YAML::Value << YAML::BeginMap;
    for (const auto& c : configs) {
      out << YAML::Key << YAML::DoubleQuoted << c.registry << YAML::Value << YAML::BeginMap;
      if (!c.username.empty() || !c.identity_token.empty()) {
        out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
        if (!c.username.empty()) {
          out << YAML::Key << "username" << YAML::Value << YAML::DoubleQuoted << c.username;
          out << YAML::Key << "password" << YAML::Value << YAML::DoubleQuoted << c.password;
        }
        if (!c.identity_token.empty()) {
          out << YAML::Key << "identitytoken" << YAML::Value << YAML::DoubleQuoted
              << c.identity_token;
        }
        out << YAML::EndMap;
      }
      bool tls = !c.ca_file.empty() || !c.cert_file.empty() || c.insecure_skip_verify;
      if (tls) {
        out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
        if (!c.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << c.ca_file;
        if (!c.cert_file.empty()) out << YAML::Key << "cert_file" << YAML::Value << c.cert_file;
        if (!c.key_file.empty()) out << YAML::Key << "key_file" << YAML::Value << c.key_file;
        if (c.insecure_skip_verify)
          out << YAML::Key << "insecure_skip_verify" << YAML::Value << true;
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string render_system_default_registry(const std::string& registry) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "system-default-registry" << YAML::Value
      << YAML::DoubleQuoted << registry << YAML::EndMap;
  return "# Written by kiln from the spec's airgap.system_default_registry.\n" +
         std::string(out.c_str()) + "\n";
}

}  // namespace kiln::airgap
