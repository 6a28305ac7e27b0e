#include "builder/cluster_layout.hpp"

#include <cerrno>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "builder/build_context.hpp"
#include "util/args.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln {
namespace {

using nlohmann::json;

constexpr int kFirstHost = 11;     // 10.77.0.11 is the first node
constexpr size_t kMaxNodes = 200;  // .11 .. .210 in one /24
constexpr const char* kSubnetPrefix = "10.77.0.";

[[noreturn]] void usage(const std::string& message) {
  throw Error("kiln cluster up: " + message + " (see 'kiln cluster up --help')", kExitUsage);
}

// A node name is its host name and a directory name: RFC 1123 label rules,
// lower case.
bool valid_node_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string hex2(unsigned v) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", v & 0xffU);
  return buf;
}

json node_json(const ClusterNode& n) {
  return {{"name", n.name},
          {"role", n.role},
          {"address", n.address},
          {"mac", n.mac},
          {"memory_mib", n.memory_mib},
          {"cpus", n.cpus},
          {"user_data_file", n.user_data_file}};
}

}  // namespace

std::string default_cluster_dir(const std::string& name) {
  return absolute_path(path_join(".kiln-cluster", name));
}

NodePaths node_paths(const Cluster& c, const ClusterNode& node) {
  NodePaths p;
  p.dir = path_join(path_join(c.dir, "nodes"), node.name);
  p.disk = path_join(p.dir, "disk.qcow2");
  p.seed = path_join(p.dir, "seed.img");
  p.vars = path_join(p.dir, "OVMF_VARS.fd");
  p.console = path_join(p.dir, "console.log");
  p.qemu_log = path_join(p.dir, "qemu.log");
  p.pidfile = path_join(p.dir, "qemu.pid");
  p.qmp = "qmp.sock";
  p.status = "status.sock";
  return p;
}

ClusterNetwork network_for(const std::string& dir) {
  // Derived from the directory: the same cluster gets the same network
  // each time, and clusters in different directories (almost surely)
  // different ones. 230.0.0.0/8 is administratively scoped multicast;
  // QEMU's socket netdev sends it over 127.0.0.1 only.
  auto d = Sha256();
  d.update(absolute_path(dir));
  auto h = d.digest();
  ClusterNetwork n;
  n.group = "230.77." + std::to_string(h[0]) + "." + std::to_string(1 + h[1] % 254);
  n.port = 20000 + static_cast<int>(((h[2] << 8) | h[3]) % 40000);
  n.subnet = std::string(kSubnetPrefix) + "0/24";
  n.prefix_len = 24;
  return n;
}

std::vector<ClusterNode> plan_nodes(const NodeCounts& counts, const ClusterNetwork& network) {
  if (counts.servers == 0 && counts.agents > 0) {
    usage("--agents needs at least one server to join (--servers 1 or more)");
  }
  std::vector<ClusterNode> nodes;
  auto add = [&](std::string name, std::string role, std::string user_data) {
    ClusterNode n;
    n.name = std::move(name);
    n.role = std::move(role);
    n.user_data_file = std::move(user_data);
    n.memory_mib = counts.memory_mib;
    n.cpus = counts.cpus;
    nodes.push_back(std::move(n));
  };
  for (unsigned i = 1; i <= counts.servers; ++i) add("server-" + std::to_string(i), "server", "");
  for (unsigned i = 1; i <= counts.agents; ++i) add("agent-" + std::to_string(i), "agent", "");
  std::set<std::string> seen;
  for (const auto& n : nodes) seen.insert(n.name);
  for (const auto& [name, file] : counts.custom) {
    if (!valid_node_name(name)) {
      usage(
          "option '--node' expects NAME=USER-DATA-FILE with NAME of lower-case letters, digits "
          "and '-' (at most 32), got '" +
          name + "'");
    }
    if (!seen.insert(name).second) usage("node name '" + name + "' is used twice");
    if (file.empty()) usage("option '--node " + name + "=' needs a user-data file");
    add(name, "custom", absolute_path(file));
  }
  if (nodes.empty()) usage("no nodes: give --servers, --agents or --node");
  if (nodes.size() > kMaxNodes) {
    usage("at most " + std::to_string(kMaxNodes) + " nodes fit the private network");
  }
  const std::string mac_prefix = "52:54:00:6b:" + hex2(static_cast<unsigned>(network.port)) + ":";
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].address = kSubnetPrefix + std::to_string(kFirstHost + i);
    nodes[i].mac = mac_prefix + hex2(static_cast<unsigned>(i + 1));
  }
  return nodes;
}

std::optional<std::string> server_url(const Cluster& c) {
  for (const auto& n : c.nodes) {
    if (n.role == "server") return "https://" + n.address + ":9345";
  }
  return std::nullopt;
}

void save_cluster(const Cluster& c) {
  json nodes = json::array();
  for (const auto& n : c.nodes) nodes.push_back(node_json(n));
  json doc = {{"kiln_cluster", 1},
              {"name", c.name},
              {"image", c.image},
              {"image_format", c.image_format},
              {"accel", c.accel},
              {"network",
               {{"group", c.network.group},
                {"port", c.network.port},
                {"subnet", c.network.subnet},
                {"prefix_len", c.network.prefix_len}}},
              {"nodes", nodes},
              {"state", c.state}};
  write_file_atomic(path_join(c.dir, kClusterFile), doc.dump(2) + "\n", 0644);
}

Cluster load_cluster(const std::string& dir) {
  const std::string file = path_join(absolute_path(dir), kClusterFile);
  auto text = read_file_if_exists(file, 4 << 20);
  if (!text) {
    throw Error("open cluster '" + absolute_path(dir) + "': no " + kClusterFile +
                    " (start one with 'kiln cluster up', or pass --dir)",
                kExitMissingInput, ENOENT);
  }
  try {
    json j = json::parse(*text);
    Cluster c;
    c.dir = absolute_path(dir);
    c.name = j.at("name").get<std::string>();
    c.image = j.at("image").get<std::string>();
    c.image_format = j.at("image_format").get<std::string>();
    c.accel = j.at("accel").get<std::string>();
    const json& n = j.at("network");
    c.network = {n.at("group").get<std::string>(), n.at("port").get<int>(),
                 n.at("subnet").get<std::string>(), n.at("prefix_len").get<int>()};
    for (const json& e : j.at("nodes")) {
      ClusterNode node;
      node.name = e.at("name").get<std::string>();
      node.role = e.at("role").get<std::string>();
      node.address = e.at("address").get<std::string>();
      node.mac = e.at("mac").get<std::string>();
      node.memory_mib = e.at("memory_mib").get<uint64_t>();
      node.cpus = e.at("cpus").get<unsigned>();
      node.user_data_file = e.value("user_data_file", "");
      if (!valid_node_name(node.name)) throw Error("bad node name '" + node.name + "'");
      c.nodes.push_back(std::move(node));
    }
    c.state = j.at("state").get<std::string>();
    return c;
  } catch (const json::exception& e) {
    throw Error("read cluster '" + file + "': " + e.what());
  } catch (Error& e) {
    throw Error("read cluster '" + file + "': " + e.message());
  }
}

}  // namespace kiln
