#include "builder/cluster_vm.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <thread>

#include "builder/build_context.hpp"
#include "builder/cluster_socket.hpp"
#include "firstboot/status_port.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kQemuStartTimeout = std::chrono::seconds(60);

void run_tool(const std::vector<std::string>& argv, const RunOptions& o = {}) {
  try {
    run(argv, o);
  } catch (Error& e) {
    if (e.exit_code() != 130) e.set_exit_code(kExitToolFailed);
    throw;
  }
}

// Sends one QMP command and waits for its "return" (events in between are
// skipped); false on an "error" reply or no reply in time.
bool qmp_execute(LineSocket& s, const std::string& command, Clock::time_point deadline) {
  s.send("{\"execute\":\"" + command + "\"}\n", deadline);
  while (auto line = s.read_line(deadline)) {
    if (line->find("\"return\"") != std::string::npos) return true;
    if (line->find("\"error\"") != std::string::npos) return false;
  }
  return false;
}

}  // namespace

std::vector<std::string> node_qemu_argv(const Cluster& c, const ClusterNode& node,
                                        const Firmware& firmware) {
  const NodePaths p = node_paths(c, node);
  QemuMachine m;
  m.disk = p.disk;
  m.disk_format = "qcow2";
  m.disk_cache_unsafe = true;  // a throwaway overlay, removed by `down`
  m.memory_mib = node.memory_mib;
  m.cpus = node.cpus;
  m.accel = c.accel;
  m.firmware = firmware;
  m.firmware_vars = p.vars;
  m.seed_image = p.seed;
  m.network = NetworkMode::None;  // no user networking: only the cluster's segment
  m.console_log = p.console;
  const std::string mcast = c.network.group + ":" + std::to_string(c.network.port);
  // Option and value pairs, one per line.
  // clang-format off
  m.extra_args = {
      "-name", "kiln-" + c.name + "-" + node.name,
      "-netdev", "socket,id=cluster,mcast=" + mcast + ",localaddr=127.0.0.1",
      "-device", "virtio-net-pci,netdev=cluster,mac=" + node.mac,
      "-qmp", "unix:" + p.qmp + ",server=on,wait=off",
      "-device", "virtio-serial-pci,id=kiln-serial",
      "-chardev", "socket,id=kiln-status,path=" + p.status + ",server=on,wait=off",
      "-device", std::string("virtserialport,bus=kiln-serial.0,chardev=kiln-status,name=") +
                     firstboot::kStatusPortName,
      "-daemonize", "-pidfile", p.pidfile,
  };
  // clang-format on
  return qemu_argv(m);
}

void start_node_vm(const Cluster& c, const ClusterNode& node, const Firmware& firmware) {
  const NodePaths p = node_paths(c, node);
  // Backed by the image by absolute path; the image is never written.
  run_tool(
      {"qemu-img", "create", "-q", "-f", "qcow2", "-F", c.image_format, "-b", c.image, p.disk});
  copy_file(firmware.vars_template, p.vars);
  for (const std::string& f : {p.console, p.qemu_log}) {
    UniqueFd created = open_file(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  std::vector<std::string> argv = node_qemu_argv(c, node, firmware);
  log_debug("cluster: node '" + node.name + "': " + shell_quote(argv));
  RunOptions o;
  o.cwd = p.dir;  // the socket paths are relative: short whatever the directory
  o.log_path = p.qemu_log;
  o.timeout = kQemuStartTimeout;
  with_context("while starting node '" + node.name + "'", [&] { run_tool(argv, o); });
}

std::optional<pid_t> node_vm_pid(const Cluster& c, const ClusterNode& node) {
  const NodePaths p = node_paths(c, node);
  auto text = read_file_if_exists(p.pidfile, 64);
  if (!text) return std::nullopt;
  std::string_view digits = trim(*text);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  pid_t pid = static_cast<pid_t>(std::stol(std::string(digits)));
  if (pid <= 1 || !process_alive(pid)) return std::nullopt;
  auto cmdline = read_file_if_exists("/proc/" + std::to_string(pid) + "/cmdline", 1 << 20);
  if (!cmdline || cmdline->find("file=" + p.disk) == std::string::npos) return std::nullopt;
  return pid;
}

bool request_powerdown(const Cluster& c, const ClusterNode& node,
                       std::chrono::milliseconds budget) {
  const NodePaths p = node_paths(c, node);
  const auto deadline = Clock::now() + budget;
  try {
    LineSocket s(p.dir, p.qmp);
    if (!s.read_line(deadline)) return false;  // the greeting
    return qmp_execute(s, "qmp_capabilities", deadline) &&
           qmp_execute(s, "system_powerdown", deadline);
  } catch (const Error& e) {
    log_debug("cluster: node '" + node.name + "': QMP: " + e.what());
    return false;
  }
}

bool process_alive(pid_t pid) {
  auto stat = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  // "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  char state = (*stat)[close + 2];
  return state != 'Z' && state != 'X';
}

void kill_vm(pid_t pid, std::chrono::milliseconds grace) {
  auto wait_gone = [pid](Clock::time_point until) {
    while (process_alive(pid)) {
      if (Clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  };
  if (!process_alive(pid)) return;
  ::kill(pid, SIGTERM);
  if (wait_gone(Clock::now() + grace)) return;
  ::kill(pid, SIGKILL);
  wait_gone(Clock::now() + std::chrono::seconds(10));
}

}  // namespace kiln
