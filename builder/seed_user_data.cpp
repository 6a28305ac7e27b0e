#include "builder/seed_user_data.hpp"

#include <cerrno>

#include <yaml-cpp/yaml.h>

#include "builder/build_context.hpp"
#include "firstboot/ssh_public_key.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

std::string read_input(const std::string& path, const std::string& what, size_t max_bytes) {
  auto data = read_file_if_exists(path, max_bytes);
  if (!data) {
    throw Error("open " + what + " '" + path + "': No such file or directory", kExitMissingInput,
                ENOENT);
  }
  return *data;
}

// Gives a diagnostic the name of the file the user knows: "user-data:3:1"
// (or "user-data(part 2):3:1") becomes "NAME:3:1" ("NAME(part 2):3:1").
void rename_file(Diagnostic& d, const SeedFileNames& names) {
  for (const auto& [base, shown] :
       {std::pair<std::string, std::string>{"user-data", names.user_data},
        {"meta-data", names.meta_data},
        {"network-config", names.network_config}}) {
    if (d.file == base || d.file.starts_with(base + "(")) {
      d.file = shown + d.file.substr(base.size());
      return;
    }
  }
}

}  // namespace

std::string render_node_user_data(const NodeSeed& node) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!node.ssh_keys.empty()) {
    out << YAML::Key << "ssh_authorized_keys" << YAML::Value << YAML::BeginSeq;
    for (const auto& key : node.ssh_keys) out << YAML::DoubleQuoted << key;
    out << YAML::EndSeq;
  }
  out << YAML::Key << "rke2" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "role" << YAML::Value << node.role;
  if (node.cluster_init) out << YAML::Key << "cluster-init" << YAML::Value << true;
  if (node.server)
    out << YAML::Key << "server" << YAML::Value << YAML::DoubleQuoted << *node.server;
  // Inline, so the seed is self-contained; kiln-firstboot moves it into its
  // own 0600 file and points RKE2's token-file at it.
  out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << node.token;
  if (node.node_name) out << YAML::Key << "node-name" << YAML::Value << *node.node_name;
  if (!node.tls_san.empty()) {
    out << YAML::Key << "tls-san" << YAML::Value << YAML::Flow << node.tls_san;
  }
  if (node.node_ip) {
    out << YAML::Key << "config" << YAML::Value << YAML::BeginMap << YAML::Key << "node-ip"
        << YAML::Value << *node.node_ip << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  return "#cloud-config\n" + std::string(out.c_str()) + "\n";
}

std::string render_meta_data(const std::string& instance_id,
                             const std::optional<std::string>& hostname) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "instance-id" << YAML::Value << instance_id;
  if (hostname) out << YAML::Key << "local-hostname" << YAML::Value << *hostname;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string derive_instance_id(const std::string& user_data,
                               const std::optional<std::string>& hostname,
                               const std::optional<std::string>& network_config) {
  Sha256 h;
  for (const auto& part : {std::optional<std::string>(user_data), hostname, network_config}) {
    // Length-prefixed, so parts cannot run into each other.
    std::string framed = part ? std::to_string(part->size()) + ":" + *part : "-";
    h.update(framed);
  }
  return "iid-" + h.hex_digest().substr(0, 16);
}

std::vector<std::string> read_ssh_public_keys(const std::string& path) {
  std::vector<std::string> keys;
  size_t line_no = 0;
  for (const auto& line : split(read_input(path, "SSH public key", 1 << 20), '\n')) {
    ++line_no;
    std::string_view key = trim(line);
    if (key.empty() || key.front() == '#') continue;
    // The node's own check, so a key it would refuse is never written.
    firstboot::SshKeyParse parsed = firstboot::parse_ssh_public_key(key);
    if (!parsed.key) {
      throw Error("read SSH public key '" + path + "': line " + std::to_string(line_no) +
                      " is not an OpenSSH public key ([OPTIONS] TYPE BASE64 [COMMENT]): it " +
                      parsed.error,
                  kExitInvalid);
    }
    keys.emplace_back(key);
  }
  if (keys.empty()) {
    throw Error("read SSH public key '" + path + "': no key in the file", kExitInvalid);
  }
  return keys;
}

std::string read_token_file(const std::string& path) {
  std::string data = read_input(path, "token file", 64 * 1024);
  std::string token(trim(data.substr(0, data.find('\n'))));
  if (token.empty()) throw Error("read token file '" + path + "': it is empty", kExitInvalid);
  if (token.find_first_of(" \t\r") != std::string::npos || trim(data) != token) {
    throw Error("read token file '" + path + "': expected one token on one line", kExitInvalid);
  }
  return token;
}

firstboot::SeedCheck check_seed_files(const SeedFiles& files, const SeedFileNames& names) {
  // kiln-firstboot reads a seed directory; a private one (0700, files 0600:
  // user-data may hold a token) is made for it and removed afterwards.
  TempDir dir("", "kiln-seed-check");
  write_file_atomic(path_join(dir.path(), "user-data"), files.user_data, 0600);
  write_file_atomic(path_join(dir.path(), "meta-data"), files.meta_data, 0600);
  if (files.network_config) {
    write_file_atomic(path_join(dir.path(), "network-config"), *files.network_config, 0600);
  }
  firstboot::SeedCheck check = firstboot::validate_seed_dir(dir.path(), "");
  for (auto& d : check.errors) rename_file(d, names);
  for (auto& d : check.warnings) rename_file(d, names);
  return check;
}

void throw_if_invalid(const firstboot::SeedCheck& check) {
  if (check.ok()) return;
  Error e(check.errors.front().str(), kExitInvalid);
  std::string detail;
  for (size_t i = 1; i < check.errors.size(); ++i) detail += check.errors[i].str() + "\n";
  if (!detail.empty()) e.set_detail(detail);
  throw e;
}

}  // namespace kiln
