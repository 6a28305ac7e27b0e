// Registry credentials for pulls. The file format is Docker's config.json
// (also what podman/skopeo call auth.json): an "auths" map from registry to
// {"auth": base64("user:password")} or {"username": ..., "password": ...},
// optionally {"identitytoken": ...} or {"registrytoken": ...}. Secrets are
// never put into messages.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace kiln::airgap {

struct RegistryAuth {
  std::string username;
  std::string password;
  // An OAuth2 refresh token, exchanged at the registry's token service
  // (Docker's "identitytoken").
  std::string identity_token;
  // A bearer token sent as is (Docker's "registrytoken").
  std::string registry_token;
};

class Credentials {
 public:
  void add(const std::string& registry, RegistryAuth auth);
  // By host[:port]; "docker.io", "index.docker.io" and
  // "registry-1.docker.io" are the same registry.
  [[nodiscard]] std::optional<RegistryAuth> find(const std::string& host) const;
  [[nodiscard]] bool empty() const { return auths_.empty(); }

  // Reads a config.json / auth.json file; errors name the file and the key.
  static Credentials load(const std::string& path);

 private:
  std::map<std::string, RegistryAuth> auths_;
};

// "https://index.docker.io/v1/" -> "docker.io"; "Host:5000/x" -> "host:5000".
std::string registry_key(const std::string& name);

}  // namespace kiln::airgap
