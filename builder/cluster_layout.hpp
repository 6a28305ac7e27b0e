// A `kiln cluster`: its nodes, their private network, and where everything
// lives in the cluster directory (default ./.kiln-cluster/NAME):
//
//   cluster.json            what `up` started (no secrets), read by status/down
//   token                   the join token, 0600, never printed
//   nodes/NAME/             0700, one per VM:
//     disk.qcow2            qcow2 overlay backed by the image
//     seed.img              its NoCloud seed (0600: it holds the token)
//     OVMF_VARS.fd          its UEFI variable store
//     console.log           its serial console
//     qemu.log              QEMU's own messages
//     qemu.pid              QEMU's pid (QEMU runs daemonized)
//     qmp.sock              QMP, for a clean power-down
//     status.sock           the host end of the virtio-serial status channel
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

// Exit status of `kiln cluster up` when a node's first boot failed or its
// data was invalid (the cluster stays up so it can be inspected).
constexpr int kExitNodeFailed = 9;

struct ClusterNode {
  std::string name;     // server-1, agent-1, or a --node NAME
  std::string role;     // "server", "agent", or "custom" (--node: the user's user-data)
  std::string address;  // static IPv4 on the private network
  std::string mac;
  uint64_t memory_mib = 2048;
  unsigned cpus = 2;
  std::string user_data_file;  // --node's file; empty for generated user-data
};

struct ClusterNetwork {
  std::string group;  // multicast group of the QEMU socket netdev
  int port = 0;
  std::string subnet;  // e.g. 10.77.0.0/24
  int prefix_len = 24;
};

struct Cluster {
  std::string name;
  std::string dir;  // absolute
  std::string image;
  std::string image_format;  // raw or qcow2
  std::string accel;         // kvm or tcg
  ClusterNetwork network;
  std::vector<ClusterNode> nodes;
  std::string state;  // "starting", "up", "down"
};

struct NodePaths {
  std::string dir;
  std::string disk;
  std::string seed;
  std::string vars;
  std::string console;
  std::string qemu_log;
  std::string pidfile;
  std::string qmp;     // relative to dir (QEMU runs there; socket paths are short)
  std::string status;  // relative to dir
};

constexpr const char* kClusterFile = "cluster.json";
constexpr const char* kTokenFile = "token";

// ./.kiln-cluster/NAME, absolute.
std::string default_cluster_dir(const std::string& name);
NodePaths node_paths(const Cluster& c, const ClusterNode& node);

struct NodeCounts {
  unsigned servers = 1;
  unsigned agents = 0;
  uint64_t memory_mib = 2048;
  unsigned cpus = 2;
  // --node NAME=USER-DATA-FILE, in order.
  std::vector<std::pair<std::string, std::string>> custom;
};

// The nodes of a new cluster in `dir`: server-1..N, agent-1..M, then the
// custom ones; deterministic addresses (10.77.0.11 upwards) and MACs, and a
// multicast group and port derived from the directory, so two clusters on
// one host do not share a network. Throws a usage error (exit 2) for a bad
// or duplicate name or too many nodes.
std::vector<ClusterNode> plan_nodes(const NodeCounts& counts, const ClusterNetwork& network);
ClusterNetwork network_for(const std::string& dir);

// The URL joining nodes use: https://<first server's address>:9345.
std::optional<std::string> server_url(const Cluster& c);

void save_cluster(const Cluster& c);
// Exit 4 when `dir` holds no cluster.json; exit 1 when it is unreadable.
Cluster load_cluster(const std::string& dir);

}  // namespace kiln
