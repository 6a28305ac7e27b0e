// Starting the role through sd-bus, against a fake systemd manager.
#include <atomic>
#include <map>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "firstboot/agent.hpp"
#include "firstboot/seed_data.hpp"
#include "tests/firstboot/fake_systemd.hpp"
#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

struct Run {
  int code = -1;
  nlohmann::json status;
};

Run run_with(test::FakeSystemd& fake, const std::string& user_data, AgentOptions o = {},
             const std::optional<std::string>& network = std::nullopt) {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_seed(tmp.path() + "/seed", user_data, std::string("instance-id: i-bus\n"), network);
  SeedData seed = read_seed_dir(tmp.path() + "/seed", "seed");
  o.root = root;
  o.start = true;
  o.connect_systemd = [&fake] { return fake.connect(); };
  Reporter reporter({tmp.path() + "/status.json", false});
  Run r;
  r.code = run_agent(seed, o, reporter);
  r.status = nlohmann::json::parse(read_file(tmp.path() + "/status.json"));
  return r;
}

const char* kServer = "#cloud-config\nrke2:\n  role: server\n  cluster-init: true\n";
const char* kAgent =
    "#cloud-config\nrke2:\n  role: agent\n  server: https://10.0.0.1:9345\n  token: K10x\n";

}  // namespace

TEST_CASE("SystemdManager speaks the manager's D-Bus API", "[unit]") {
  test::FakeSystemd fake;
  SystemdManager m = fake.connect();
  CHECK(m.enable_unit_files({"rke2-agent.service"}));
  m.reload();
  CHECK(m.start_unit("rke2-agent.service") == "/org/freedesktop/systemd1/job/42");
  CHECK(m.restart_unit("systemd-networkd.service") == "/org/freedesktop/systemd1/job/42");
  fake.active_states({"activating", "active"});
  CHECK(m.active_state("rke2-agent.service") == "activating");
  CHECK(m.active_state("rke2-agent.service") == "active");
  fake.enable_reports_changes(false);
  CHECK_FALSE(m.enable_unit_files({"rke2-agent.service"}));
  fake.fail_start_with("Unit nope.service not found.");
  CHECK_THROWS_WITH(m.start_unit("nope.service"),
                    "start unit 'nope.service': Unit nope.service not found.");
  CHECK(fake.calls() == std::vector<std::string>{
                            "EnableUnitFiles rke2-agent.service runtime=0 force=0",
                            "Reload",
                            "StartUnit rke2-agent.service replace",
                            "RestartUnit systemd-networkd.service replace",
                            "LoadUnit rke2-agent.service",
                            "LoadUnit rke2-agent.service",
                            "EnableUnitFiles rke2-agent.service runtime=0 force=0",
                            "StartUnit nope.service replace",
                        });
}

TEST_CASE("a valid server seed enables and starts rke2-server, no reload, no waiting", "[unit]") {
  test::FakeSystemd fake;
  Run r = run_with(fake, kServer);
  CHECK(r.code == 0);
  CHECK(fake.calls() ==
        std::vector<std::string>{"EnableUnitFiles rke2-server.service runtime=0 force=0",
                                 "StartUnit rke2-server.service replace"});
  CHECK(r.status["role"] == nlohmann::json({{"unit", "rke2-server.service"}, {"started", true}}));
  CHECK(r.status["steps"].back()["name"] == "role");
  CHECK(r.status["steps"].back()["detail"] ==
        "rke2-server.service enabled and started (/org/freedesktop/systemd1/job/42)");
}

TEST_CASE("an agent seed enables and starts rke2-agent when enabling changed nothing", "[unit]") {
  test::FakeSystemd fake;
  fake.enable_reports_changes(false);
  Run r = run_with(fake, kAgent);
  CHECK(r.code == 0);
  CHECK(fake.calls() ==
        std::vector<std::string>{"EnableUnitFiles rke2-agent.service runtime=0 force=0",
                                 "StartUnit rke2-agent.service replace"});
}

TEST_CASE("new unit files reload systemd once, first; new network files restart networkd",
          "[unit]") {
  test::FakeSystemd fake;
  fake.enable_reports_changes(false);
  Run r =
      run_with(fake,
               std::string(kServer) +
                   "write_files:\n  - path: /etc/systemd/system/rke2-server.service.d/limits.conf\n"
                   "    content: \"[Service]\\nLimitNOFILE=1048576\\n\"\n",
               {}, std::string("version: 2\nethernets:\n  eth0: {dhcp4: true}\n"));
  CHECK(r.code == 0);
  CHECK(fake.calls() == std::vector<std::string>{
                            "Reload", "EnableUnitFiles systemd-networkd.service runtime=0 force=0",
                            "RestartUnit systemd-networkd.service replace",
                            "EnableUnitFiles rke2-server.service runtime=0 force=0",
                            "StartUnit rke2-server.service replace"});
}

TEST_CASE("unit files without a role are one daemon-reload step; no unit files, no reload",
          "[unit]") {
  {
    test::FakeSystemd fake;
    Run r = run_with(fake,
                     "#cloud-config\nwrite_files:\n  - path: /etc/systemd/system/site.service\n"
                     "    content: \"[Service]\\nExecStart=/bin/true\\n\"\n");
    CHECK(r.code == 0);
    CHECK(fake.calls() == std::vector<std::string>{"Reload"});
    CHECK(r.status["steps"].back()["name"] == "daemon-reload");
  }
  {
    test::FakeSystemd fake;
    Run r =
        run_with(fake, "#cloud-config\nwrite_files:\n  - path: /etc/site.conf\n    content: x\n");
    CHECK(r.code == 0);
    CHECK(fake.calls().empty());
  }
}

TEST_CASE("invalid data never reaches systemd", "[unit]") {
  test::FakeSystemd fake;
  Run r = run_with(fake, "#cloud-config\nrke2:\n  role: agent\n");
  CHECK(r.code == 2);
  CHECK(fake.calls().empty());
  CHECK(r.status["role"]["started"] == false);
}

TEST_CASE("a role that cannot start fails the run and leaves the instance to retry", "[unit]") {
  test::FakeSystemd fake;
  fake.fail_start_with("Unit rke2-server.service not found.");
  Run r = run_with(fake, kServer);
  CHECK(r.code == 1);
  CHECK(r.status["result"] == "failed");
  CHECK(r.status["role"]["started"] == false);
  CHECK(r.status["errors"] ==
        nlohmann::json::array(
            {"role: start unit 'rke2-server.service': Unit rke2-server.service not found."}));
}

TEST_CASE("waiting for readiness polls the server's /ping, and an agent's unit state", "[unit]") {
  std::atomic<int> asked{0};
  test::HttpServer ping([&](const test::HttpRequest& req) {
    test::HttpResponse resp;
    if (req.target != "/ping" || ++asked < 3) {
      resp.status = 503;
    } else {
      resp.body = "pong";
    }
    return resp;
  });
  {
    test::FakeSystemd fake;
    AgentOptions o;
    o.wait_ready = true;
    o.ready_url = ping.url("/ping");
    o.wait_timeout = std::chrono::seconds(30);
    Run r = run_with(fake, kServer, o);
    CHECK(r.code == 0);
    CHECK(asked == 3);
    CHECK(r.status["steps"].back()["name"] == "wait-ready");
    CHECK(r.status["steps"].back()["detail"] == "supervisor answered pong");
  }
  {
    test::FakeSystemd fake;
    fake.active_states({"activating", "activating", "active"});
    AgentOptions o;
    o.wait_ready = true;
    Run r = run_with(fake, kAgent, o);
    CHECK(r.code == 0);
    CHECK(fake.state_queries_ == 3);
  }
  {
    test::FakeSystemd fake;
    fake.active_states({"activating", "failed"});
    AgentOptions o;
    o.wait_ready = true;
    Run r = run_with(fake, kAgent, o);
    CHECK(r.code == 1);
    CHECK(r.status["errors"] ==
          nlohmann::json::array({"wait-ready: wait for 'rke2-agent.service': the unit failed"}));
  }
  CHECK_THROWS_WITH(
      wait_for_server_ready("http://127.0.0.1:1/ping", std::chrono::seconds(1)),
      Catch::Matchers::StartsWith("wait for 'http://127.0.0.1:1/ping': no pong within 1 s ("));
}

TEST_CASE("network files on an image with networkd disabled enable it before restarting it",
          "[unit]") {
  test::FakeSystemd fake;
  Run r =
      run_with(fake, kServer, {}, std::string("version: 2\nethernets:\n  eth0: {dhcp4: true}\n"));
  CHECK(r.code == 0);
  CHECK(fake.calls() ==
        std::vector<std::string>{"EnableUnitFiles systemd-networkd.service runtime=0 force=0",
                                 "RestartUnit systemd-networkd.service replace",
                                 "EnableUnitFiles rke2-server.service runtime=0 force=0",
                                 "StartUnit rke2-server.service replace"});
  bool found = false;
  for (const auto& step : r.status["steps"]) {
    if (step["name"] == "networkd") {
      found = true;
      CHECK(step["detail"] == "systemd-networkd.service enabled and restarted");
    }
  }
  CHECK(found);
}

TEST_CASE(
    "a new instance without network-config removes an earlier instance's networkd files and "
    "restarts a running networkd",
    "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const std::string net = root + "/etc/systemd/network";
  // What an earlier instance with a static address left, beside the image's own file.
  test::write_text(net + "/10-kiln-eth0.network",
                   "[Match]\nName=eth0\n\n[Network]\nAddress=10.9.9.9/24\n");
  test::write_text(net + "/10-kiln-eth0.link", "[Match]\nMACAddress=52:54:00:12:34:56\n");
  test::write_text(net + "/50-image.network", "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n");
  auto apply = [&](test::FakeSystemd& fake, const std::string& id) {
    test::write_seed(tmp.path() + "/seed", std::string("#cloud-config\n"),
                     "instance-id: " + id + "\n");
    AgentOptions o;
    o.root = root;
    o.start = true;
    o.connect_systemd = [&fake] { return fake.connect(); };
    Reporter reporter({tmp.path() + "/status.json", false});
    SeedData seed = read_seed_dir(tmp.path() + "/seed", "seed");
    CHECK(run_agent(seed, o, reporter) == 0);
    std::map<std::string, std::string> steps;
    const auto status = nlohmann::json::parse(read_file(tmp.path() + "/status.json"));
    for (const auto& s : status["steps"])
      steps[s["name"].get<std::string>()] = s["detail"].get<std::string>();
    return steps;
  };
  test::FakeSystemd fake;
  auto steps = apply(fake, "i-new");
  CHECK(list_dir(net) == std::vector<std::string>{"50-image.network"});
  CHECK(steps == std::map<std::string, std::string>{
                     {"network", "no network-config, 2 of an earlier instance removed"},
                     {"networkd", "systemd-networkd.service restarted if it was running"}});
  CHECK(fake.calls() ==
        std::vector<std::string>{"TryRestartUnit systemd-networkd.service replace"});

  // The next instance finds nothing of kiln's: no network step at all.
  test::FakeSystemd quiet;
  CHECK(apply(quiet, "i-later").empty());
  CHECK(quiet.calls().empty());
  CHECK(list_dir(net) == std::vector<std::string>{"50-image.network"});
}
