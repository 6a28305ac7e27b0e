// kiln cluster down (and status): stop every node cleanly within a bound,
// then remove what the nodes ran on.
#include <unistd.h>

#include <thread>

#include "builder/cluster_ops.hpp"
#include "builder/cluster_socket.hpp"
#include "builder/cluster_vm.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

// "poweroff ID" on the status channel: a clean shutdown through systemd for
// images where nothing handles the ACPI power button (no logind).
bool request_guest_poweroff(const Cluster& c, const ClusterNode& node) {
  const NodePaths p = node_paths(c, node);
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  const std::string id = "down-" + std::to_string(::getpid());
  try {
    LineSocket s(p.dir, p.status);
    s.send("poweroff " + id + "\n", deadline);
    while (auto line = s.read_line(deadline)) {
      if (line->find("\"id\":\"" + id + "\"") == std::string::npos) continue;
      return line->find("\"poweroff\":\"started\"") != std::string::npos;
    }
  } catch (const Error& e) {
    log_debug("cluster: node '" + node.name + "': status channel: " + e.what());
  }
  return false;
}

void remove_if_present(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove", path);
}

// Everything but the logs: the overlay, the seed (it holds the token), the
// variable store, the sockets and the pid file.
void remove_node_files(const Cluster& c, const ClusterNode& node) {
  const NodePaths p = node_paths(c, node);
  for (const std::string& f :
       {p.disk, p.seed, p.vars, p.pidfile, path_join(p.dir, p.qmp), path_join(p.dir, p.status)}) {
    remove_if_present(f);
  }
}

}  // namespace

std::vector<NodeStatus> cluster_status(const Cluster& c) {
  std::vector<NodeStatus> out;
  for (const auto& node : c.nodes) out.push_back(query_node(c, node));
  return out;
}

DownReport cluster_down(Cluster& c, std::chrono::seconds timeout) {
  StepTimer timer("stop nodes");
  DownReport report;
  std::vector<std::pair<const ClusterNode*, pid_t>> running;
  for (const auto& node : c.nodes) {
    auto pid = node_vm_pid(c, node);
    if (!pid) {
      ++report.not_running;
      continue;
    }
    bool asked = request_powerdown(c, node);
    asked = request_guest_poweroff(c, node) || asked;
    if (!asked) log_debug("cluster: node '" + node.name + "' did not take the power-off request");
    running.emplace_back(&node, *pid);
  }
  const auto deadline = Clock::now() + timeout;
  size_t left = running.size();
  while (left > 0 && Clock::now() < deadline) {
    left = 0;
    for (const auto& [node, pid] : running) left += process_alive(pid) ? 1 : 0;
    timer.progress(running.size() - left, running.size(), "nodes");
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  for (const auto& [node, pid] : running) {
    if (process_alive(pid)) {
      log_warning("node '" + node->name + "' did not power off within " +
                  std::to_string(timeout.count()) + " s; stopping its VM");
      kill_vm(pid);
      ++report.killed;
    } else {
      ++report.powered_off;
    }
  }
  for (const auto& node : c.nodes) remove_node_files(c, node);
  remove_if_present(path_join(c.dir, kTokenFile));
  c.state = "down";
  save_cluster(c);
  timer.add_field("powered_off", report.powered_off);
  timer.add_field("killed", report.killed);
  timer.finish();
  return report;
}

}  // namespace kiln
