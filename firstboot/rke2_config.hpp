// The validated `rke2:` section of cloud-config (kiln's own key): what the
// node's RKE2 role is and the configuration kiln-firstboot writes for it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace kiln::firstboot {

enum class Rke2Role { Server, Agent };

struct RegistryMirror {
  std::string registry;
  std::vector<std::string> endpoints;
  std::vector<std::pair<std::string, std::string>> rewrites;  // regex -> replacement
};

struct RegistryAuth {
  std::optional<std::string> username;
  std::optional<std::string> password;        // secret
  std::optional<std::string> auth;            // secret
  std::optional<std::string> identity_token;  // secret
};

struct RegistryTls {
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<std::string> ca_file;
  std::optional<bool> insecure_skip_verify;
};

struct RegistryConfigEntry {
  std::string registry;
  std::optional<RegistryAuth> auth;
  std::optional<RegistryTls> tls;
};

struct Rke2Config {
  Rke2Role role = Rke2Role::Server;
  bool cluster_init = false;
  std::optional<std::string> server;
  std::optional<std::string> token;  // secret: written only to its own 0600 file
  std::optional<std::string> token_file;
  std::optional<std::string> node_name;
  std::vector<std::string> node_labels;
  std::vector<std::string> node_taints;
  std::vector<std::string> tls_sans;
  std::vector<std::string> cni;
  std::optional<std::string> profile;
  std::optional<bool> selinux;
  std::optional<std::string> system_default_registry;
  bool has_registries = false;
  std::vector<RegistryMirror> mirrors;
  std::vector<RegistryConfigEntry> configs;
  // Any other RKE2 option, passed through as written (a mapping).
  YAML::Node passthrough;

  [[nodiscard]] std::string unit() const {
    return role == Rke2Role::Server ? "rke2-server.service" : "rke2-agent.service";
  }
  [[nodiscard]] std::string role_name() const {
    return role == Rke2Role::Server ? "server" : "agent";
  }
};

// Where kiln-firstboot writes the token when the section carries one.
constexpr const char* kRke2TokenPath = "/etc/rancher/rke2/kiln-token";
constexpr const char* kRke2ConfigPath = "/etc/rancher/rke2/config.yaml.d/50-kiln.yaml";
constexpr const char* kRke2RegistriesPath = "/etc/rancher/rke2/registries.yaml";

}  // namespace kiln::firstboot
