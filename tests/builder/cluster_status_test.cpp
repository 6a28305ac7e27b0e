// `kiln cluster status` and `down` without booting anything: a node's "VM"
// is a process whose command line names the node's disk (as QEMU's does),
// and its status socket is served by the real guest responder
// (firstboot/status_port) from a canned root, as QEMU would relay it from
// the guest. Checks the table and --json, a node that does not answer, a
// recycled pid, and `down` powering nodes off or stopping them.
#include <poll.h>
#include <signal.h>
#include <spawn.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "builder/cluster_ops.hpp"
#include "firstboot/status_port.hpp"
#include "tests/support/test_support.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

extern char** environ;

using namespace kiln;
using nlohmann::json;

namespace {

// A process standing in for a node's QEMU: `sleep`, with the disk in its
// argv[0] the way QEMU's command line holds "file=DISK". Reaped on exit.
struct VmProcess {
  pid_t pid = -1;
  explicit VmProcess(const std::string& disk) {
    std::string name = "kiln-test-vm file=" + disk;
    std::string seconds = "600";
    char* argv[] = {name.data(), seconds.data(), nullptr};
    REQUIRE(::posix_spawn(&pid, "/bin/sleep", nullptr, nullptr, argv, environ) == 0);
  }
  VmProcess(const VmProcess&) = delete;
  VmProcess& operator=(const VmProcess&) = delete;
  ~VmProcess() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

// The guest responder on the node's status.sock, one host connection at a
// time, from `root`; "poweroff" ends `vm`.
struct StatusChannel {
  UniqueFd listener;
  std::atomic<bool> stop{false};
  std::thread thread;

  StatusChannel(const std::string& socket_path, const std::string& root, pid_t vm) {
    listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(socket_path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    firstboot::StatusSources sources;
    sources.root = root;
    sources.units = [](const std::string& unit) {
      if (unit == "rke2-server.service") {
        return firstboot::UnitState{"loaded", "active", "running", "enabled"};
      }
      return firstboot::UnitState{"loaded", "inactive", "dead", ""};
    };
    sources.power_off = [vm] { ::kill(vm, SIGTERM); };
    thread = std::thread([this, sources] {
      while (!stop) {
        pollfd p{listener.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!conn) continue;
        const int fd = conn.get();
        auto host_gone = [&] {
          char c;
          return stop.load() || ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
        };
        firstboot::serve_status_port(fd, sources, host_gone, std::chrono::milliseconds(20));
      }
    });
  }
  StatusChannel(const StatusChannel&) = delete;
  StatusChannel& operator=(const StatusChannel&) = delete;
  ~StatusChannel() {
    stop = true;
    thread.join();
  }
};

// A cluster of server-1 and agent-1 in `dir`, state "up", with the files
// `up` leaves in each node directory.
Cluster make_cluster(const std::string& dir) {
  Cluster c;
  c.name = "t";
  c.dir = dir;
  c.image = dir + "/image.raw";
  c.image_format = "raw";
  c.accel = "tcg";
  c.network = network_for(dir);
  c.nodes = plan_nodes(NodeCounts{1, 1, 1024, 1, {}}, c.network);
  c.state = "up";
  save_cluster(c);
  test::write_text(dir + "/token", "secret-token\n", 0600);
  for (const auto& node : c.nodes) {
    const NodePaths p = node_paths(c, node);
    mkdir_p(p.dir, 0700);
    for (const auto& f : {p.disk, p.seed, p.vars, p.console}) test::write_text(f, "x", 0600);
  }
  return c;
}

std::string guest_root(const std::string& dir) {
  test::write_text(dir + "/run/kiln/status.json",
                   R"({"result": "ok", "exit_code": 0,
                       "role": {"unit": "rke2-server.service", "started": true}})");
  test::write_text(dir + "/proc/sys/kernel/hostname", "server-1\n");
  return dir;
}

}  // namespace

TEST_CASE("cluster status: a table and JSON from the nodes' answers, silent and stopped nodes",
          "[unit]") {
  TempDir tmp;
  Cluster c = make_cluster(tmp.path());
  const NodePaths server = node_paths(c, c.nodes[0]);
  const NodePaths agent = node_paths(c, c.nodes[1]);
  VmProcess server_vm(server.disk);
  test::write_text(server.pidfile, std::to_string(server_vm.pid) + "\n");
  StatusChannel channel(path_join(server.dir, server.status), guest_root(tmp.path() + "/guest"),
                        server_vm.pid);
  // agent-1's "VM" runs but nothing answers on its channel (still booting).
  std::optional<VmProcess> agent_vm;
  agent_vm.emplace(agent.disk);
  test::write_text(agent.pidfile, std::to_string(agent_vm->pid) + "\n");

  auto statuses = cluster_status(c);
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[0].answered);
  CHECK(statuses[0].firstboot == "ok");
  CHECK(statuses[0].ready);
  CHECK(firstboot_finished(statuses[0]));
  CHECK_FALSE(firstboot_failed(statuses[0]));
  CHECK_FALSE(statuses[1].answered);
  CHECK_FALSE(firstboot_finished(statuses[1]));
  CHECK(status_table(statuses) ==
        "NODE      ROLE    ADDRESS     VM       FIRSTBOOT  ROLE UNIT                   READY\n"
        "server-1  server  10.77.0.11  running  ok         rke2-server.service active  yes\n"
        "agent-1   agent   10.77.0.12  running  booting    -                           no\n");

  auto r = test::run_cli({test::bin("kiln"), "cluster", "status", "--dir", tmp.path(), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["cluster"] == "t");
  CHECK(doc["state"] == "up");
  REQUIRE(doc["nodes"].size() == 2);
  CHECK(doc["nodes"][0]["firstboot"] == "ok");
  CHECK(doc["nodes"][0]["role_unit"] == "rke2-server.service");
  CHECK(doc["nodes"][0]["ready"] == true);
  CHECK(doc["nodes"][0]["guest"]["hostname"] == "server-1");
  CHECK(doc["nodes"][1]["firstboot"] == "booting");
  CHECK(doc["nodes"][1]["guest"] == nullptr);
  CHECK(r.out.find("secret-token") == std::string::npos);

  // The VM of agent-1 is gone, and server-1's pid file names a process that
  // is not its QEMU (a recycled pid): both are stopped, nothing is killed.
  agent_vm.emplace("/elsewhere/disk.qcow2");
  test::write_text(server.pidfile, std::to_string(agent_vm->pid) + "\n");
  r = test::run_cli({test::bin("kiln"), "cluster", "status", "--dir", tmp.path()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "cluster 't' (" + tmp.path() +
                     "), up\n"
                     "NODE      ROLE    ADDRESS     VM       FIRSTBOOT  ROLE UNIT  READY\n"
                     "server-1  server  10.77.0.11  stopped  -          -          no\n"
                     "agent-1   agent   10.77.0.12  stopped  -          -          no\n");
  CHECK(::kill(agent_vm->pid, 0) == 0);
}

TEST_CASE("cluster down: powers nodes off over the status channel, stops the rest, keeps the logs",
          "[unit]") {
  TempDir tmp;
  Cluster c = make_cluster(tmp.path());
  const NodePaths server = node_paths(c, c.nodes[0]);
  const NodePaths agent = node_paths(c, c.nodes[1]);
  VmProcess server_vm(server.disk);
  test::write_text(server.pidfile, std::to_string(server_vm.pid) + "\n");
  StatusChannel channel(path_join(server.dir, server.status), guest_root(tmp.path() + "/guest"),
                        server_vm.pid);
  VmProcess agent_vm(agent.disk);  // ignores every request: stopped after the timeout
  test::write_text(agent.pidfile, std::to_string(agent_vm.pid) + "\n");

  auto r =
      test::run_cli({test::bin("kiln"), "cluster", "down", "--dir", tmp.path(), "--timeout", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "cluster 't' is down: 1 powered off, 1 stopped after 2 s, 0 not running\n");
  CHECK(r.err.find("node 'agent-1' did not power off within 2 s; stopping its VM") !=
        std::string::npos);
  CHECK(test::list_tree(tmp.path() + "/nodes") ==
        std::vector<std::string>{"agent-1/console.log", "server-1/console.log"});
  CHECK_FALSE(path_exists(tmp.path() + "/token"));
  CHECK(load_cluster(tmp.path()).state == "down");
}

TEST_CASE("cluster down: a cluster whose VMs are gone is cleaned up, and a second down is harmless",
          "[unit]") {
  TempDir tmp;
  Cluster c = make_cluster(tmp.path());
  // One pid file names a process that exited, one a live process that is
  // not this node's QEMU (the test itself): neither counts, neither is hit.
  test::write_text(node_paths(c, c.nodes[0]).pidfile, "999999999\n");
  test::write_text(node_paths(c, c.nodes[1]).pidfile, std::to_string(::getpid()) + "\n");
  for (int round = 0; round < 2; ++round) {
    auto r = test::run_cli({test::bin("kiln"), "cluster", "down", "--dir", tmp.path()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "cluster 't' is down: 0 powered off, 0 stopped after 60 s, 2 not running\n");
    CHECK(test::list_tree(tmp.path() + "/nodes") ==
          std::vector<std::string>{"agent-1/console.log", "server-1/console.log"});
    CHECK_FALSE(path_exists(tmp.path() + "/token"));
    CHECK(load_cluster(tmp.path()).state == "down");
  }
}

TEST_CASE("cluster up: a directory whose cluster still runs is refused, and left as it was",
          "[unit]") {
  TempDir tmp;
  Cluster c = make_cluster(tmp.path());
  test::write_text(c.image, std::string(4096, '\0'));
  const NodePaths agent = node_paths(c, c.nodes[1]);
  VmProcess agent_vm(agent.disk);
  test::write_text(agent.pidfile, std::to_string(agent_vm.pid) + "\n");
  const auto before = test::list_tree(tmp.path());
  const std::string cluster_json = read_file(tmp.path() + "/cluster.json");
  auto r = test::run_cli({test::bin("kiln"), "cluster", "up", "--image", c.image, "--dir",
                          tmp.path(), "--accel", "tcg"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "kiln: error: start cluster in '" + tmp.path() +
                     "': cluster 't' is already up there (node 'agent-1' runs); stop it with "
                     "'kiln cluster down --dir " +
                     tmp.path() + "'\n");
  CHECK(test::list_tree(tmp.path()) == before);
  CHECK(read_file(tmp.path() + "/cluster.json") == cluster_json);
  CHECK(read_file(tmp.path() + "/token") == "secret-token\n");
  CHECK(::kill(agent_vm.pid, 0) == 0);
}
