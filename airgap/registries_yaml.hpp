// RKE2's /etc/rancher/rke2/registries.yaml (k3s's private registry
// configuration): mirrors with endpoints and rewrites, and per-registry auth
// and TLS. The file holds secrets, so whoever writes it gives it mode 0600.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kiln::airgap {

struct RegistryMirrorConfig {
  std::string registry;  // "docker.io", "*"
  std::vector<std::string> endpoints;
  std::vector<std::pair<std::string, std::string>> rewrites;  // regex -> replacement
};

struct RegistryHostConfig {
  std::string registry;  // host[:port] or "*"
  std::string username;
  std::string password;
  std::string identity_token;
  // Paths inside the image.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
};

std::string render_registries_yaml(const std::vector<RegistryMirrorConfig>& mirrors,
                                   const std::vector<RegistryHostConfig>& configs);

// config.yaml.d drop-in setting system-default-registry.
std::string render_system_default_registry(const std::string& registry);

}  // namespace kiln::airgap
