// What each node of a `kiln cluster` boots with: the cluster's join token
// (256 bits from the kernel's CSPRNG, kept 0600 in the cluster directory and
// never printed or logged) and a NoCloud seed per node: the first server
// starts the cluster (cluster-init), every other node joins it with the
// server's URL and the token; each gets a static address on the private
// network through its network-config. A --node gets the user's user-data as
// it is, with generated meta-data and network-config.
#pragma once

#include <string>

#include "builder/cluster_layout.hpp"
#include "builder/seed_image.hpp"
#include "builder/seed_user_data.hpp"

namespace kiln {

// A new token in DIR/token (0600, written whole); returns it.
std::string create_cluster_token(const std::string& dir);
// Exit 4 when the cluster has no token (it is down).
std::string read_cluster_token(const std::string& dir);

// network-config version 2: the NIC with the node's MAC gets its address;
// no gateway, no DNS, so nothing routes beyond the cluster's network.
std::string render_node_network_config(const ClusterNode& node, const ClusterNetwork& network);

struct NodeSeedData {
  SeedFiles files;
  SeedFileNames names;  // how messages name the files
};

// The seed for `node`; reads a custom node's user-data file (exit 4 when
// missing).
NodeSeedData node_seed(const Cluster& c, const ClusterNode& node, const std::string& token);

}  // namespace kiln
