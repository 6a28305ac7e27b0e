#include "builder/cluster_status.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "builder/cluster_socket.hpp"
#include "builder/cluster_vm.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace kiln {
namespace {

using nlohmann::json;

// A request id the guest echoes: answers to an earlier, impatient client's
// requests still queued in the port are told apart and skipped.
std::string next_request_id() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

void apply_reply(NodeStatus& s, const json& reply) {
  s.answered = true;
  s.reply = reply;
  const json fb = reply.value("firstboot", json::object());
  s.firstboot = str(fb, "result", "unknown");
  if (fb.contains("errors") && fb["errors"].is_array()) {
    for (const auto& e : fb["errors"]) {
      if (e.is_string()) s.errors.push_back(e.get<std::string>());
    }
  }
  const json role = reply.value("role", json::object());
  if (s.role.empty() || s.role == "custom") s.role = str(role, "name", "-");
  s.role_unit = str(role, "unit", "-");
  s.role_state = str(role, "active", "-");
  s.ready = reply.value("ready", false);
}

}  // namespace

NodeStatus query_node(const Cluster& c, const ClusterNode& node, std::chrono::milliseconds budget) {
  NodeStatus s;
  s.node = node.name;
  s.role = node.role;
  s.address = node.address;
  s.firstboot = "-";
  s.role_unit = "-";
  s.role_state = "-";
  s.vm_running = node_vm_pid(c, node).has_value();
  if (!s.vm_running) return s;
  const NodePaths p = node_paths(c, node);
  const auto deadline = std::chrono::steady_clock::now() + budget;
  const std::string id = next_request_id();
  try {
    LineSocket sock(p.dir, p.status);
    sock.send("status " + id + "\n", deadline);
    while (auto line = sock.read_line(deadline)) {
      json reply = json::parse(*line, nullptr, false);
      if (reply.is_discarded() || !reply.is_object()) continue;
      if (!reply.contains("id") || reply["id"] != id) continue;  // a stale answer
      apply_reply(s, reply);
      break;
    }
  } catch (const Error& e) {
    log_debug("cluster: node '" + node.name + "': status channel: " + e.what());
  }
  if (s.role == "custom") s.role = "-";
  return s;
}

bool firstboot_finished(const NodeStatus& s) {
  static const std::vector<std::string> done{"ok",      "already-applied", "failed",
                                             "invalid", "no-datasource",   "interrupted"};
  return s.answered && std::find(done.begin(), done.end(), s.firstboot) != done.end();
}

bool firstboot_failed(const NodeStatus& s) {
  return firstboot_finished(s) && s.firstboot != "ok" && s.firstboot != "already-applied";
}

std::string status_table(const std::vector<NodeStatus>& nodes) {
  std::vector<std::vector<std::string>> rows{
      {"NODE", "ROLE", "ADDRESS", "VM", "FIRSTBOOT", "ROLE UNIT", "READY"}};
  for (const auto& n : nodes) {
    std::string unit = n.role_unit == "-" ? n.role_state : n.role_unit + " " + n.role_state;
    std::string firstboot = n.vm_running && !n.answered ? "booting" : n.firstboot;
    rows.push_back({n.node, n.role, n.address, n.vm_running ? "running" : "stopped", firstboot,
                    unit, n.ready ? "yes" : "no"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  for (const auto& n : nodes) {
    for (const auto& e : n.errors) out += n.node + ": " + e + "\n";
  }
  return out;
}

json status_json(const Cluster& c, const std::vector<NodeStatus>& nodes) {
  json list = json::array();
  for (const auto& n : nodes) {
    list.push_back({{"node", n.node},
                    {"role", n.role},
                    {"address", n.address},
                    {"vm", n.vm_running ? "running" : "stopped"},
                    {"answered", n.answered},
                    {"firstboot", n.vm_running && !n.answered ? "booting" : n.firstboot},
                    {"role_unit", n.role_unit},
                    {"role_state", n.role_state},
                    {"ready", n.ready},
                    {"errors", n.errors},
                    {"guest", n.reply ? *n.reply : json(nullptr)}});
  }
  return {{"cluster", c.name}, {"dir", c.dir}, {"state", c.state}, {"nodes", list}};
}

}  // namespace kiln
