#include "builder/cluster_seeds.hpp"

#include <cerrno>

#include <sys/random.h>
#include <yaml-cpp/yaml.h>

#include "builder/build_context.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr size_t kTokenBytes = 32;

std::string random_hex(size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(buf.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("draw random bytes for", "the cluster token");
    got += static_cast<size_t>(n);
  }
  return to_hex(buf.data(), buf.size());
}

bool is_first_server(const Cluster& c, const ClusterNode& node) {
  for (const auto& n : c.nodes) {
    if (n.role == "server") return n.name == node.name;
  }
  return false;
}

}  // namespace

std::string create_cluster_token(const std::string& dir) {
  std::string token = random_hex(kTokenBytes);
  write_file_atomic(path_join(dir, kTokenFile), token + "\n", 0600);
  return token;
}

std::string read_cluster_token(const std::string& dir) {
  const std::string path = path_join(dir, kTokenFile);
  auto text = read_file_if_exists(path, 4096);
  if (!text) {
    throw Error("open cluster token '" + path + "': No such file or directory (is the cluster up?)",
                kExitMissingInput, ENOENT);
  }
  return std::string(trim(*text));
}

std::string render_node_network_config(const ClusterNode& node, const ClusterNetwork& network) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 2;
  out << YAML::Key << "ethernets" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster0" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "match" << YAML::Value << YAML::BeginMap << YAML::Key << "macaddress"
      << YAML::Value << YAML::DoubleQuoted << node.mac << YAML::EndMap;
  out << YAML::Key << "addresses" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << node.address + "/" + std::to_string(network.prefix_len) << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

NodeSeedData node_seed(const Cluster& c, const ClusterNode& node, const std::string& token) {
  NodeSeedData d;
  const std::string who = "node '" + node.name + "' ";
  d.files.network_config = render_node_network_config(node, c.network);
  d.names.network_config = who + "generated network-config";
  if (node.role == "custom") {
    auto text = read_file_if_exists(node.user_data_file, 4ULL << 20);
    if (!text) {
      throw Error("open user-data '" + node.user_data_file + "' of node '" + node.name +
                      "': No such file or directory",
                  kExitMissingInput, ENOENT);
    }
    d.files.user_data = *text;
    d.names.user_data = node.user_data_file;
  } else {
    NodeSeed seed;
    seed.role = node.role;
    seed.token = token;
    seed.node_name = node.name;
    seed.node_ip = node.address;
    if (node.role == "server" && is_first_server(c, node)) {
      seed.cluster_init = true;
    } else {
      seed.server = server_url(c);
    }
    if (node.role == "server") seed.tls_san = {node.address};
    d.files.user_data = render_node_user_data(seed);
    d.names.user_data = who + "generated user-data";
  }
  d.files.meta_data = render_meta_data(
      derive_instance_id(d.files.user_data, node.name, d.files.network_config), node.name);
  d.names.meta_data = who + "generated meta-data";
  return d;
}

}  // namespace kiln
