#include "airgap/credentials.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "airgap/exit_codes.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace kiln::airgap {
namespace {

std::optional<std::string> base64_decode(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(in.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with("="))
    len -= 1;
  return std::string(out.begin(), out.begin() + static_cast<long>(len));
}

}  // namespace

std::string registry_key(const std::string& name) {
  std::string s = name;
  if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  if (auto p = s.find('/'); p != std::string::npos) s = s.substr(0, p);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "index.docker.io" || s == "registry-1.docker.io") s = "docker.io";
  return s;
}

void Credentials::add(const std::string& registry, RegistryAuth auth) {
  auths_[registry_key(registry)] = std::move(auth);
}

std::optional<RegistryAuth> Credentials::find(const std::string& host) const {
  auto it = auths_.find(registry_key(host));
  if (it == auths_.end()) return std::nullopt;
  return it->second;
}

Credentials Credentials::load(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, 4 << 20);
  } catch (Error& e) {
    if (e.err() == ENOENT) e.set_exit_code(kExitMissingInput);
    throw;
  }
  if (auto st = lstat_path(path); st && (st->st_mode & 0077) != 0) {
    log_warning("credentials file '" + path + "' is readable by other users; chmod 600 it");
  }
  auto fail = [&](const std::string& why) -> void {
    throw Error("credentials '" + path + "': " + why, kExitInvalid);
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("not a JSON object");
  auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object()) fail("no 'auths' object");
  Credentials c;
  for (const auto& [registry, entry] : auths->items()) {
    std::string at = "'auths." + registry + "'";
    if (!entry.is_object()) fail(at + " must be an object");
    RegistryAuth a;
    auto str = [&](const char* key) -> std::string {
      auto it = entry.find(key);
      if (it == entry.end()) return "";
      if (!it->is_string()) fail(at + "." + key + " must be a string");
      return it->get<std::string>();
    };
    if (std::string encoded = str("auth"); !encoded.empty()) {
      auto decoded = base64_decode(encoded);
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) fail(at + ".auth is not base64 of 'user:password'");
      a.username = decoded->substr(0, colon);
      a.password = decoded->substr(colon + 1);
    } else {
      a.username = str("username");
      a.password = str("password");
    }
    a.registry_token = str("registrytoken");
    a.identity_token = str("identitytoken");
    if (a.username.empty() && a.registry_token.empty() && a.identity_token.empty()) {
      fail(at + " has neither auth, username nor a token");
    }
    c.add(registry, std::move(a));
  }
  return c;
}

}  // namespace kiln::airgap
