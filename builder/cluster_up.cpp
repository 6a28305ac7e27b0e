// kiln cluster up: seeds, overlays and daemonized VMs for every node, then a
// bounded wait until each has finished its first boot (and, if asked, until
// each role is ready).
#include <thread>

#include "builder/build_context.hpp"
#include "builder/cluster_ops.hpp"
#include "builder/cluster_seeds.hpp"
#include "builder/cluster_vm.hpp"
#include "builder/qemu.hpp"
#include "builder/qemu_process.hpp"
#include "builder/reproducible.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::seconds(3);
constexpr size_t kConsoleLines = 30;

// Until dismissed, undoes a half-started `up`: stops the VMs started so far
// and removes what was made, so a failed start leaves nothing behind.
class StartGuard {
 public:
  StartGuard(Cluster& c, bool created_dir) : c_(c), created_dir_(created_dir) {}
  StartGuard(const StartGuard&) = delete;
  StartGuard& operator=(const StartGuard&) = delete;
  ~StartGuard() {
    if (dismissed_) return;
    try {
      for (const auto& node : c_.nodes) {
        if (auto pid = node_vm_pid(c_, node)) kill_vm(*pid, std::chrono::seconds(2));
      }
      remove_tree(path_join(c_.dir, "nodes"));
      remove_tree(path_join(c_.dir, kTokenFile));
      remove_tree(path_join(c_.dir, kClusterFile));
      if (created_dir_) remove_tree(c_.dir);
    } catch (const Error& e) {
      log_debug("cluster: cleaning up after a failed start: " + std::string(e.what()));
    }
  }
  void dismiss() { dismissed_ = true; }

 private:
  Cluster& c_;
  bool created_dir_;
  bool dismissed_ = false;
};

// A cluster directory may be reused once its cluster is down.
void check_not_running(const std::string& dir) {
  if (!path_exists(path_join(dir, kClusterFile))) return;
  Cluster old = load_cluster(dir);
  for (const auto& node : old.nodes) {
    if (node_vm_pid(old, node)) {
      throw Error("start cluster in '" + dir + "': cluster '" + old.name +
                  "' is already up there (node '" + node.name +
                  "' runs); stop it with 'kiln cluster down --dir " + dir + "'");
    }
  }
  remove_tree(path_join(dir, "nodes"));
  remove_tree(path_join(dir, kTokenFile));
}

void write_node_seed(const Cluster& c, const ClusterNode& node, const std::string& token) {
  NodeSeedData seed = node_seed(c, node, token);
  firstboot::SeedCheck check = check_seed_files(seed.files, seed.names);
  if (node.role == "custom") {
    // The user's data goes on the node as it is, even when kiln-firstboot
    // will refuse it there (that is how a failing node is tested); say so.
    for (const auto& w : check.warnings) log_warning("node '" + node.name + "': " + w.str());
    for (const auto& e : check.errors) {
      log_warning("node '" + node.name + "': " + e.str() +
                  " (kiln-firstboot on the node will refuse this seed)");
    }
  } else {
    with_context("while generating the seed of node '" + node.name + "'",
                 [&] { throw_if_invalid(check); });
  }
  write_seed_image(seed.files, node_paths(c, node).seed, SeedFormat::Vfat, source_date_epoch());
}

bool node_done(const NodeStatus& s, bool wait_ready) {
  if (!firstboot_finished(s)) return false;
  return !wait_ready || firstboot_failed(s) || s.ready;
}

std::string describe(const NodeStatus& s) {
  if (!s.answered) return "no answer on the status channel yet";
  return "first boot " + s.firstboot + ", " + (s.role_unit == "-" ? "no role" : s.role_unit) + " " +
         s.role_state;
}

[[noreturn]] void fail_wait(const Cluster& c, const std::vector<NodeStatus>& statuses,
                            const std::vector<size_t>& pending, Error e) {
  std::string detail;
  for (size_t i : pending) {
    const ClusterNode& node = c.nodes[i];
    detail += "node '" + node.name + "' (" + describe(statuses[i]) + "), last " +
              std::to_string(kConsoleLines) + " console lines:\n" +
              console_tail(node_paths(c, node).console, kConsoleLines) + "\n";
  }
  detail += "the cluster is still up: 'kiln cluster status --dir " + c.dir +
            "' shows it, 'kiln cluster down --dir " + c.dir + "' stops it";
  e.set_detail(detail);
  throw e;
}

void sleep_interruptibly(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    throw_if_interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<NodeStatus> wait_for_nodes(const Cluster& c, const UpOptions& o) {
  StepTimer timer(o.wait_ready ? "wait for roles ready" : "wait for first boot");
  const auto deadline = Clock::now() + o.timeout;
  while (true) {
    throw_if_interrupted();
    std::vector<NodeStatus> statuses = cluster_status(c);
    std::vector<size_t> pending;
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (!statuses[i].vm_running) {
        fail_wait(c, statuses, {i},
                  Error("node '" + c.nodes[i].name + "': its VM stopped while the cluster came up",
                        kExitGuestStoppedEarly));
      }
      if (!node_done(statuses[i], o.wait_ready)) pending.push_back(i);
    }
    timer.progress(statuses.size() - pending.size(), statuses.size(), "nodes");
    if (pending.empty()) {
      timer.finish();
      return statuses;
    }
    if (Clock::now() >= deadline) {
      const NodeStatus& first = statuses[pending.front()];
      fail_wait(
          c, statuses, pending,
          Error("node '" + first.node + "': not " +
                    (o.wait_ready ? "ready" : "through its first boot") + " after " +
                    human_duration_ms(o.timeout.count() * 1000) + " (" + describe(first) + ")",
                kExitRunTimedOut));
    }
    sleep_interruptibly(kPollInterval);
  }
}

}  // namespace

std::vector<NodeStatus> cluster_up(const UpOptions& o, Cluster& c) {
  if (!path_exists(o.image)) {
    throw Error("open image '" + o.image + "': No such file or directory", kExitMissingInput,
                ENOENT);
  }
  c = Cluster{};
  c.name = o.name;
  c.dir = o.dir;
  c.image = o.image;
  c.image_format = detect_disk_format(o.image);
  c.accel = o.accel;
  c.network = network_for(o.dir);
  c.nodes = plan_nodes(o.counts, c.network);
  for (const auto& node : c.nodes) {
    if (node.role == "custom" && !path_exists(node.user_data_file)) {
      throw Error("open user-data '" + node.user_data_file + "' of node '" + node.name +
                      "': No such file or directory",
                  kExitMissingInput, ENOENT);
    }
  }
  const Firmware firmware = find_ovmf();
  check_not_running(o.dir);

  const bool created_dir = !path_exists(o.dir);
  mkdir_p(o.dir, 0755);
  StartGuard guard(c, created_dir);
  {
    StepTimer timer("start nodes");
    const std::string token = create_cluster_token(o.dir);
    c.state = "starting";
    save_cluster(c);
    size_t started = 0;
    for (const auto& node : c.nodes) {
      throw_if_interrupted();
      mkdir_p(node_paths(c, node).dir, 0700);
      write_node_seed(c, node, token);
      start_node_vm(c, node, firmware);
      timer.progress(++started, c.nodes.size(), "nodes");
    }
    c.state = "up";
    save_cluster(c);
    timer.add_field("accel", c.accel);
    timer.finish();
  }
  guard.dismiss();
  try {
    return wait_for_nodes(c, o);
  } catch (Error& e) {
    if (e.exit_code() == kExitInterrupted) {
      // The user gave up on this cluster: take it down rather than leave
      // VMs running in the background.
      set_interrupted(false);
      cluster_down(c, std::chrono::seconds(10));
      set_interrupted(true);
    }
    throw;
  }
}

}  // namespace kiln
