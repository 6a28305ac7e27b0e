// [qemu] The whole mission, end to end: one image built with the stand-in
// RKE2 artifacts and a workload image in its airgap payload, booted by
// `kiln cluster up` as a server, an agent and a node whose seed is invalid,
// on a private network under TCG. Everything is asserted from inside the
// guests: tests/qemu/cluster-overlay (a TEST-ONLY overlay) adds a unit that
// checks each node after first boot and prints KILN-CHECK lines on its
// serial console, then reboots it once to show first boot does not re-run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "builder/qemu_process.hpp"
#include "tests/qemu/cluster_checks.hpp"
#include "tests/qemu/qemu_support.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::cluster_test;

namespace {

constexpr int kBuildTimeoutSeconds = 3600;
constexpr int kUpTimeoutSeconds = 1500;
constexpr auto kChecksBudget = std::chrono::minutes(20);
const std::string kServerUrl = "https://10.77.0.11:9345";
const std::string kWorkload = "kiln.test/workload/busybox:1.35";

// The invalid node's user-data: an rke2 section with a key RKE2 does not have.
const std::string kBadUserData =
    "#cloud-config\n"
    "rke2:\n"
    "  role: server\n"
    "  cluster-init: true\n"
    "  no-such-option: true\n";

// Takes the cluster down however the test ends.
class ClusterGuard {
 public:
  explicit ClusterGuard(std::string dir) : dir_(std::move(dir)) {}
  ClusterGuard(const ClusterGuard&) = delete;
  ClusterGuard& operator=(const ClusterGuard&) = delete;
  ~ClusterGuard() {
    if (!down_ && path_exists(dir_ + "/cluster.json")) {
      test::run_cli({test::bin("kiln"), "cluster", "down", "--dir", dir_, "--timeout", "30"}, {},
                    300);
    }
  }
  void mark_down() { down_ = true; }

 private:
  std::string dir_;
  bool down_ = false;
};

std::string node_file(const std::string& cluster, const std::string& node,
                      const std::string& name) {
  return cluster + "/nodes/" + node + "/" + name;
}

// The instance-id in a node's seed, read with mtools (the seed is vfat).
std::string seed_instance_id(const std::string& seed) {
  std::string meta = run({"mtype", "-i", seed, "::meta-data"}).out;
  for (const auto& line : split(meta, '\n')) {
    if (line.starts_with("instance-id: ")) return std::string(trim(line.substr(13)));
  }
  return "";
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void check_first_boot(const Checks& c, const std::string& node, const std::string& role,
                      const std::string& instance) {
  INFO("node " << node << ", boot 1");
  CHECK(c.at("host") == node);
  CHECK(c.at("firstboot") == "ok");
  CHECK(c.at("instance") == instance);
  CHECK(c.at("datasource") == "nocloud");
  CHECK(std::stoi(c.at("firstboot-steps")) > 0);
  CHECK(c.at("role") == role);
  CHECK(c.at("config-node-name") == node);
  CHECK(c.at("config-token-file") == "/etc/rancher/rke2/kiln-token");
  CHECK(c.at("config-mode") == "600");
  CHECK(c.at("role-state") == "active");
  CHECK(c.at("standin-role") == role);
  CHECK(c.at("standin-phase") == "ready");
  CHECK(c.at("default-route") == "none");
  CHECK(c.at("server-port") == "open");
  // The workload came from the airgap payload: imported, run, no pulls.
  CHECK(c.at("workload-image") == kWorkload);
  CHECK(c.at("workload-exit") == "0");
  CHECK(c.count("workload-output") == 1);
  CHECK_THAT(c.at("workload-digest"), Catch::StartsWith("sha256:"));
  CHECK(c.at("ctr-digest") == c.at("workload-digest"));
  CHECK(c.at("containerd-log") == "present");
  CHECK(c.at("pull-lines") == "0");
  // The token: where it belongs, and nowhere else.
  CHECK(c.at("token-file-mode") == "600");
  CHECK(c.at("token-length") == "64");
  CHECK(c.at("token-search") == "works");
  CHECK(c.count("token-leak") == 0);
  CHECK(c.at("token-leaks") == "0");
}

void check_reboot(const Checks& c, const std::string& node, const std::string& instance) {
  INFO("node " << node << ", boot 2");
  CHECK(c.at("host") == node);
  CHECK(c.at("firstboot") == "already-applied");
  CHECK(c.at("instance") == instance);
  CHECK(c.at("firstboot-steps") == "0");
  CHECK(c.at("instance-dirs") == "1");
  CHECK(c.at("role-state") == "active");
  CHECK(c.at("standin-phase") == "ready");
  CHECK(c.at("workload-exit") == "0");
  CHECK(c.at("token-leaks") == "0");
}

}  // namespace

TEST_CASE("kiln cluster: a server and an agent from one airgapped image, and a refused node",
          "[qemu]") {
  TempDir work(qemu_test::images_dir(), "cluster-test");
  const std::string spec = work.path() + "/cluster.yaml";
  test::write_text(spec, cluster_spec_text());
  const std::string out = work.path() + "/image";
  auto build = test::run_cli({test::bin("kiln"), "build", spec, "-o", out, "--lock",
                              work.path() + "/kiln.lock", "--cache-dir", qemu_test::cache_dir()},
                             {}, kBuildTimeoutSeconds);
  INFO("kiln build said: " << build.err);
  REQUIRE(build.exit_code == 0);
  const std::string image = out + "/kiln-default.qcow2";
  REQUIRE(path_exists(image));

  const std::string bad = work.path() + "/bad-user-data";
  test::write_text(bad, kBadUserData);
  const std::string dir = work.path() + "/cluster";
  ClusterGuard guard(dir);
  auto up = test::run_cli({test::bin("kiln"),
                           "cluster",
                           "up",
                           "--image",
                           image,
                           "--dir",
                           dir,
                           "--servers",
                           "1",
                           "--agents",
                           "1",
                           "--node",
                           "bad=" + bad,
                           "--memory",
                           "1024",
                           "--cpus",
                           "1",
                           "--accel",
                           "tcg",
                           "--wait-ready",
                           "--timeout",
                           std::to_string(kUpTimeoutSeconds)},
                          {}, kUpTimeoutSeconds + 300);
  INFO("kiln cluster up said:\n" << up.out << up.err);
  // Every node finished its first boot; the bad one refused its data.
  REQUIRE(up.exit_code == 9);
  const std::string console_server = node_file(dir, "server-1", "console.log");
  const std::string console_agent = node_file(dir, "agent-1", "console.log");
  const std::string console_bad = node_file(dir, "bad", "console.log");
  const std::string refusal = bad + ":5:3: unknown key 'no-such-option' in rke2";
  CHECK_THAT(up.err, Catch::Contains("node 'bad': " + refusal));
  CHECK_THAT(test::first_line(up.err.substr(up.err.find("kiln: error:"))),
             Catch::StartsWith("kiln: error: node 'bad': first boot invalid: "));

  // The token: 256 bits, 0600, and the seeds holding it 0600 too.
  const std::string token(trim(read_file(dir + "/token")));
  CHECK(token.size() == 64);
  CHECK(mode_of(dir + "/token") == 0600);
  std::map<std::string, std::string> instance;
  for (const char* node : {"server-1", "agent-1", "bad"}) {
    const std::string seed = node_file(dir, node, "seed.img");
    CHECK(mode_of(seed) == 0600);
    instance[node] = seed_instance_id(seed);
    CHECK_THAT(instance[node], Catch::StartsWith("iid-"));
  }
  CHECK(instance["server-1"] != instance["agent-1"]);

  // Boot 1 (checks, then a reboot) and boot 2, seen from inside each guest.
  const auto deadline = std::chrono::steady_clock::now() + kChecksBudget;
  wait_for_checks("bad", console_bad, 1, deadline);
  wait_for_checks("server-1", console_server, 2, deadline);
  wait_for_checks("agent-1", console_agent, 2, deadline);

  auto server = read_checks(console_server);
  auto agent = read_checks(console_agent);
  auto refused = read_checks(console_bad);
  INFO("server-1 console:\n"
       << console_tail_of(console_server) << "\nagent-1 console:\n"
       << console_tail_of(console_agent));
  REQUIRE(server.size() == 2);
  REQUIRE(agent.size() == 2);
  REQUIRE(refused.size() == 1);
  check_first_boot(server[0], "server-1", "server", instance["server-1"]);
  CHECK(server[0].at("config-cluster-init") == "true");
  CHECK(server[0].at("config-server").empty());
  CHECK(server[0].at("address") == "10.77.0.11/24");
  check_first_boot(agent[0], "agent-1", "agent", instance["agent-1"]);
  CHECK(agent[0].at("config-cluster-init").empty());
  CHECK(agent[0].at("config-server") == kServerUrl);
  // Joined: the agent validated the server's CA, ping and token over the
  // private network before it reported ready.
  CHECK(agent[0].at("standin-server") == kServerUrl);
  CHECK(agent[0].at("address") == "10.77.0.12/24");
  check_reboot(server[1], "server-1", instance["server-1"]);
  check_reboot(agent[1], "agent-1", instance["agent-1"]);

  // The refused node fails closed: no role, not even its host name (its
  // data has no users or keys, the only things applied from invalid data),
  // and the one-line error on its console.
  CHECK(refused[0].at("host") != "bad");
  CHECK(refused[0].at("firstboot") == "invalid");
  CHECK(refused[0].at("role-state-server") == "inactive");
  CHECK(refused[0].at("role-state-agent") == "inactive");
  const std::string bad_console = console_tail(console_bad, 100000);
  CHECK_THAT(bad_console, Catch::Contains("/dev/vdb/user-data:5:3: unknown key 'no-such-option' "
                                          "in rke2"));

  // The status channel, as the host sees it.
  auto status = test::run_cli({test::bin("kiln"), "cluster", "status", "--dir", dir, "--json"});
  INFO("kiln cluster status said: " << status.out << status.err);
  REQUIRE(status.exit_code == 0);
  auto doc = nlohmann::json::parse(status.out);
  std::map<std::string, nlohmann::json> nodes;
  for (const auto& n : doc["nodes"]) nodes[n["node"]] = n;
  CHECK(nodes["server-1"]["firstboot"] == "already-applied");
  CHECK(nodes["server-1"]["role"] == "server");
  CHECK(nodes["server-1"]["ready"] == true);
  CHECK(nodes["agent-1"]["firstboot"] == "already-applied");
  CHECK(nodes["agent-1"]["role_unit"] == "rke2-agent.service");
  CHECK(nodes["agent-1"]["ready"] == true);
  CHECK(nodes["bad"]["firstboot"] == "invalid");
  CHECK(nodes["bad"]["ready"] == false);
  CHECK_THAT(nodes["bad"]["errors"][0].get<std::string>(),
             Catch::Contains("unknown key 'no-such-option' in rke2"));
  auto table = test::run_cli({test::bin("kiln"), "cluster", "status", "--dir", dir});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("bad       server  10.77.0.13  running  invalid"));

  // Nothing the host holds shows the token but the token file and seeds.
  for (const char* node : {"server-1", "agent-1", "bad"}) {
    for (const char* f : {"console.log", "qemu.log"}) {
      INFO(node << "/" << f);
      CHECK(read_file(node_file(dir, node, f)).find(token) == std::string::npos);
    }
  }
  for (const std::string& text :
       {up.out, up.err, status.out, table.out, read_file(dir + "/cluster.json")}) {
    CHECK(text.find(token) == std::string::npos);
  }

  auto down = test::run_cli({test::bin("kiln"), "cluster", "down", "--dir", dir}, {}, 300);
  INFO("kiln cluster down said: " << down.out << down.err);
  CHECK(down.exit_code == 0);
  guard.mark_down();
  CHECK_THAT(down.out, Catch::StartsWith("cluster 'cluster' is down: 3 powered off"));
  for (const char* node : {"server-1", "agent-1", "bad"}) {
    CHECK_FALSE(path_exists(node_file(dir, node, "disk.qcow2")));
    CHECK_FALSE(path_exists(node_file(dir, node, "seed.img")));
    CHECK(path_exists(node_file(dir, node, "console.log")));
  }
  CHECK_FALSE(path_exists(dir + "/token"));
}
