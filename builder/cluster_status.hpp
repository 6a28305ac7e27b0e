// What `kiln cluster status` (and `up`, while it waits) knows about each
// node: whether its VM runs, and what the guest says over the status
// channel (see firstboot/status_port.hpp): the first-boot result, the role
// unit's state and whether the role is ready. Printed as a table or JSON.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/cluster_layout.hpp"

namespace kiln {

struct NodeStatus {
  std::string node;
  std::string role;  // server / agent, or what the guest reports for a custom node
  std::string address;
  bool vm_running = false;
  bool answered = false;   // the guest answered on the status channel
  std::string firstboot;   // ok, failed, invalid, running, pending, ... ("-" without an answer)
  std::string role_unit;   // e.g. rke2-server.service
  std::string role_state;  // the unit's ActiveState ("-" without an answer)
  bool ready = false;
  std::vector<std::string> errors;  // first-boot errors, as the guest reported them
  std::optional<nlohmann::json> reply;
};

// Asks the guest, within `budget`. A guest that does not answer (still
// booting, or no responder) is reported as such, not as an error.
NodeStatus query_node(const Cluster& c, const ClusterNode& node,
                      std::chrono::milliseconds budget = std::chrono::seconds(3));

// The first-boot agent finished, whatever its result.
bool firstboot_finished(const NodeStatus& s);
// It finished and failed: failed, invalid, no-datasource, interrupted.
bool firstboot_failed(const NodeStatus& s);

std::string status_table(const std::vector<NodeStatus>& nodes);
nlohmann::json status_json(const Cluster& c, const std::vector<NodeStatus>& nodes);

}  // namespace kiln
