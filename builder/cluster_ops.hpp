// `kiln cluster up|status|down` as library calls (cli_cluster.cpp parses the
// command line around them).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "builder/cluster_layout.hpp"
#include "builder/cluster_status.hpp"

namespace kiln {

struct UpOptions {
  std::string name = "kiln";
  std::string dir;    // absolute
  std::string image;  // raw or qcow2 built by `kiln build`
  std::string accel = "tcg";
  NodeCounts counts;
  std::chrono::seconds timeout{900};
  bool wait_ready = false;
};

// Starts every node and waits (bounded) until each has finished its first
// boot, and with wait_ready until each role is ready. Returns the nodes'
// statuses; the cluster then stays up. Failures before the wait leave
// nothing behind; a timeout (exit 8) or a VM that stops (exit 7) leaves the
// cluster up for inspection; an interrupt (exit 130) takes it down.
std::vector<NodeStatus> cluster_up(const UpOptions& options, Cluster& cluster);

std::vector<NodeStatus> cluster_status(const Cluster& c);

struct DownReport {
  unsigned powered_off = 0;  // shut down cleanly
  unsigned killed = 0;       // did not shut down in time
  unsigned not_running = 0;
};

// Asks every guest to power off (QMP system_powerdown, and "poweroff" on
// the status channel), waits up to `timeout`, kills what is left, then
// removes the overlays, seeds, variable stores, sockets and the token.
// Console logs stay.
DownReport cluster_down(Cluster& c, std::chrono::seconds timeout);

}  // namespace kiln
