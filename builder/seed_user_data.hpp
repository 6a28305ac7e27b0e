// The cloud-init data `kiln seed --role` and `kiln cluster` generate for an
// RKE2 node, and the check that it (or data a user brings) is what
// kiln-firstboot will accept: kiln-firstboot's own validator, run through
// the library (firstboot/seed_check.hpp), so a seed that would fail on the
// node fails here first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "builder/seed_image.hpp"
#include "firstboot/seed_check.hpp"

namespace kiln {

struct NodeSeed {
  std::string role;                   // "server" or "agent"
  bool cluster_init = false;          // the first server of a new cluster
  std::optional<std::string> server;  // https://HOST:9345 for joining nodes
  std::string token;                  // a secret: only ever written into user-data
  std::optional<std::string> node_name;
  std::vector<std::string> tls_san;    // extra names/addresses in the server certificate
  std::optional<std::string> node_ip;  // RKE2's node-ip (needed without a default route)
  std::vector<std::string> ssh_keys;   // for the image's default user
};

// "#cloud-config" with the rke2 section (and ssh_authorized_keys).
std::string render_node_user_data(const NodeSeed& node);

// NoCloud meta-data: instance-id and, when given, local-hostname.
std::string render_meta_data(const std::string& instance_id,
                             const std::optional<std::string>& hostname);

// "iid-" and 16 hex digits of a sha256 over the seed's content: the same
// data gives the same instance-id, new data (a new token) a new one.
std::string derive_instance_id(const std::string& user_data,
                               const std::optional<std::string>& hostname,
                               const std::optional<std::string>& network_config);

// One-line OpenSSH public keys from a file (blank lines and # comments
// skipped). Exit 4 when missing, 2 when it holds no key.
std::vector<std::string> read_ssh_public_keys(const std::string& path);

// A token from a file: its first line, trimmed. Exit 4 when missing, 2 when
// empty or not a single word. Messages never show the content.
std::string read_token_file(const std::string& path);

// Where each file came from, for messages: a user's path, or a name such
// as "node 'agent-1' user-data" for generated data.
struct SeedFileNames {
  std::string user_data = "user-data";
  std::string meta_data = "meta-data";
  std::string network_config = "network-config";
};

// kiln-firstboot's validation of `files`; diagnostics name the files as
// `names` says.
firstboot::SeedCheck check_seed_files(const SeedFiles& files, const SeedFileNames& names);

// Throws the first error of a failed check (exit 2), every error as detail.
void throw_if_invalid(const firstboot::SeedCheck& check);

}  // namespace kiln
