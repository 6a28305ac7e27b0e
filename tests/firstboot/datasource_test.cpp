// Datasources other than volumes: the kernel command line (directory and
// http seeds), EC2 IMDSv2 served on 127.0.0.1, ConfigDrive's layout, the
// baked-in seed, and the probe order.
#include "firstboot/datasource.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/network_namespace.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

test::CliResult run_agent_cli(const std::string& root, std::vector<std::string> extra) {
  std::vector<std::string> argv = {test::firstboot_bin(), "run",         "--root", root,
                                   "--no-start",          "--no-journal"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_cli(argv);
}

nlohmann::json status_of(const std::string& root) {
  return nlohmann::json::parse(read_file(root + "/run/kiln/status.json"));
}

// An IMDSv2 endpoint: a token from PUT /latest/api/token, then metadata
// only for requests that carry it.
test::HttpResponse imds(const test::HttpRequest& req, const std::string& user_data) {
  test::HttpResponse r;
  if (req.target == "/latest/api/token") {
    if (req.method != "PUT" || req.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) {
      r.status = 400;
    } else {
      r.body = "TOKEN-abc";
    }
    return r;
  }
  if (req.header("x-aws-ec2-metadata-token") != "TOKEN-abc") {
    r.status = 401;
    return r;
  }
  static const std::map<std::string, std::string> data = {
      {"/latest/meta-data/instance-id", "i-0123456789abcdef0"},
      {"/latest/meta-data/local-hostname", "ip-10-0-0-5.ec2.internal"},
      {"/latest/meta-data/public-keys/", "0=ops-key\n1=backup"},
      {"/latest/meta-data/public-keys/0/openssh-key",
       "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyIMDS000000000000000000000000000000000000 "
       "ops@ec2\n"},
      {"/latest/meta-data/public-keys/1/openssh-key",
       "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAFABraWxuLXRlc3QtcnNhLWltZHMx backup@ec2"},
  };
  if (req.target == "/latest/user-data" && !user_data.empty()) {
    r.body = user_data;
    return r;
  }
  auto it = data.find(req.target);
  if (it == data.end()) {
    r.status = 404;
  } else {
    r.body = it->second;
  }
  return r;
}

}  // namespace

TEST_CASE("a file seed on the kernel command line, with h= overriding the host name", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_seed(tmp.path() + "/seed",
                   "#cloud-config\nwrite_files: [{path: /etc/from-cmdline, content: yes}]\n");
  auto r = run_agent_cli(
      root, {"--cmdline", "ro quiet ds=nocloud;s=file://" + tmp.path() + "/seed/;h=cmdline-host",
             "--sources", "cmdline,seed"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(root + "/etc/from-cmdline") == "yes");
  CHECK(read_file(root + "/etc/hostname") == "cmdline-host\n");
  auto s = status_of(root);
  CHECK(s["datasource"] ==
        nlohmann::json({{"name", "cmdline"}, {"location", "file://" + tmp.path() + "/seed/"}}));
  // Finding the data is timed on its own, inside the run's total.
  REQUIRE(s["probe_ms"].is_number_integer());
  CHECK(s["probe_ms"].get<long long>() >= 0);
  CHECK(s["probe_ms"].get<long long>() <= s["duration_ms"].get<long long>());
}

TEST_CASE("under the unit, step lines stay out of the journal stream; the summary is printed",
          "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_seed(tmp.path() + "/seed", "#cloud-config\nhostname: streamed\n");
  // As systemd runs it: stdout and stderr are one stream, named by
  // $JOURNAL_STREAM. The events themselves go to the journal (best effort).
  auto run_with_stream = [&](bool named, const std::string& name) {
    const std::string log = tmp.path() + "/" + name;
    test::write_text(log, "");
    struct stat st {};
    REQUIRE(::stat(log.c_str(), &st) == 0);
    RunOptions o;
    o.check = false;
    o.log_path = log;
    if (named)
      o.env = {"JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)};
    RunResult r =
        run({test::firstboot_bin(), "run", "--root", root, "--no-start", "--force", "--cmdline",
             "ds=nocloud;s=file://" + tmp.path() + "/seed/", "--sources", "cmdline"},
            o);
    CHECK(r.exit_status == 0);
    return read_file(log);
  };
  std::string journal = run_with_stream(true, "journal-stream");
  INFO(journal);
  CHECK(journal.find("  hostname: ok") == std::string::npos);
  CHECK(journal.find("kiln-firstboot: instance ") != std::string::npos);
  std::string terminal = run_with_stream(false, "plain-stream");
  INFO(terminal);
  CHECK(terminal.find("  hostname: ok") != std::string::npos);
}

TEST_CASE("an http seed on the kernel command line is fetched over HTTP", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::HttpServer server([](const test::HttpRequest& req) {
    test::HttpResponse r;
    if (req.target == "/seeds/n1/meta-data") {
      r.body = "instance-id: i-net\n";
    } else if (req.target == "/seeds/n1/user-data") {
      r.body = "#cloud-config\nhostname: from-http\n";
    } else {
      r.status = 404;  // no network-config: optional
    }
    return r;
  });
  auto r = run_agent_cli(
      root, {"--cmdline", "ds=nocloud-net;s=" + server.url("/seeds/n1/"), "--sources", "cmdline"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(root + "/etc/hostname") == "from-http\n");
  CHECK(status_of(root)["instance_id"] == "i-net");
  std::vector<std::string> asked;
  for (const auto& q : server.requests()) asked.push_back(q.target);
  CHECK(asked == std::vector<std::string>{"/seeds/n1/meta-data", "/seeds/n1/user-data",
                                          "/seeds/n1/network-config"});
}

TEST_CASE("an http seed that is not there fails within its bound", "[unit]") {
  CHECK_THROWS_WITH(read_cmdline_seed("http://127.0.0.1:1/seed/", std::chrono::milliseconds(300)),
                    Catch::Matchers::StartsWith("fetch 'http://127.0.0.1:1/seed/meta-data': "));
  test::HttpServer server([](const test::HttpRequest&) {
    test::HttpResponse r;
    r.status = 500;
    return r;
  });
  CHECK_THROWS_WITH(read_cmdline_seed(server.url("/s/"), std::chrono::milliseconds(2000)),
                    "fetch '" + server.url("/s/meta-data") + "': HTTP status 500");
}

TEST_CASE("a malformed kernel command line is invalid data, exit 2, one line", "[unit]") {
  TempDir tmp;
  auto r = run_agent_cli(
      tmp.path(), {"--cmdline", "ds=nocloud;s=http://10.0.0.1/seed", "--sources", "cmdline"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "kiln-firstboot: error: kernel command line: seed 'http://10.0.0.1/seed' must end with "
        "'/'\n");
  CHECK(status_of(tmp.path())["result"] == "invalid");
}

TEST_CASE("EC2 IMDSv2: token first, then instance-id, host name, keys and user-data", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::HttpServer server([](const test::HttpRequest& req) {
    return imds(req, "#cloud-config\nwrite_files: [{path: /etc/from-imds, content: yes}]\n");
  });
  auto r = run_agent_cli(root, {"--sources", "imds", "--imds-url", server.url("")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto s = status_of(root);
  CHECK(s["datasource"]["name"] == "imds");
  CHECK(s["instance_id"] == "i-0123456789abcdef0");
  CHECK(read_file(root + "/etc/hostname") == "ip-10-0-0-5\n");
  CHECK(read_file(root + "/etc/from-imds") == "yes");
  CHECK(read_file(root + "/home/kiln/.ssh/authorized_keys") ==
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyIMDS000000000000000000000000000000000000 "
        "ops@ec2\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAFABraWxuLXRlc3QtcnNhLWltZHMx backup@ec2\n");
  auto requests = server.requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.front().method == "PUT");
  CHECK(requests.front().header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
  for (size_t i = 1; i < requests.size(); ++i)
    CHECK(requests[i].header("x-aws-ec2-metadata-token") == "TOKEN-abc");
}

TEST_CASE("IMDS without user-data still yields the instance", "[unit]") {
  test::HttpServer server([](const test::HttpRequest& req) { return imds(req, ""); });
  auto s =
      read_imds(server.url(""), std::chrono::milliseconds(2000), std::chrono::milliseconds(5000));
  REQUIRE(s);
  CHECK(s->user_data.data.empty());
  CHECK(s->meta->instance_id == "i-0123456789abcdef0");
  CHECK(s->meta->public_keys.size() == 2);
}

TEST_CASE("a missing or hung IMDS costs a bounded time, never a hung boot", "[unit]") {
  using Clock = std::chrono::steady_clock;
  // Nothing listens: connection refused, retried until the budget is spent.
  auto t0 = Clock::now();
  CHECK_FALSE(
      read_imds("http://127.0.0.1:1", std::chrono::milliseconds(500), std::chrono::seconds(5)));
  CHECK(Clock::now() - t0 < std::chrono::seconds(3));
  // An endpoint that accepts and never answers.
  test::HttpServer stall([](const test::HttpRequest&) {
    test::HttpResponse r;
    r.delay_ms = 30000;
    return r;
  });
  t0 = Clock::now();
  CHECK_FALSE(read_imds(stall.url(""), std::chrono::milliseconds(500), std::chrono::seconds(5)));
  CHECK(Clock::now() - t0 < std::chrono::seconds(3));
  // IMDSv1 only (the token PUT is refused): not a source for kiln.
  test::HttpServer v1([](const test::HttpRequest&) {
    test::HttpResponse r;
    r.status = 403;
    return r;
  });
  CHECK_FALSE(read_imds(v1.url(""), std::chrono::milliseconds(500), std::chrono::seconds(5)));
}

TEST_CASE("ConfigDrive: meta_data.json and user_data in the OpenStack layout", "[unit]") {
  TempDir tmp;
  const std::string d = tmp.path() + "/openstack/latest";
  test::write_text(
      d + "/meta_data.json",
      R"({"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "os-node.novalocal",
  "public_keys": {"mykey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyCD00000000000000000000000000000000000000 os@x"}})");
  test::write_text(d + "/user_data", "#cloud-config\nhostname: cd\n");
  test::write_text(d + "/network_data.json", "{}");
  SeedData s = read_configdrive_dir(tmp.path(), "/dev/sr0");
  CHECK(s.source == "configdrive");
  REQUIRE(s.meta);
  CHECK(s.meta->instance_id == "83679162-1378-4288-a2d4-70e13ec132aa");
  CHECK(s.meta->local_hostname == "os-node.novalocal");
  CHECK(
      s.meta->public_keys ==
      std::vector<std::string>{
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyCD00000000000000000000000000000000000000 os@x"});
  CHECK(s.user_data.data == "#cloud-config\nhostname: cd\n");
  REQUIRE(s.read_problems.size() == 1);
  CHECK(s.read_problems[0].str() ==
        "/dev/sr0/openstack/latest/network_data.json: warning: is not applied; kiln-firstboot "
        "configures the network "
        "from NoCloud network-config only");

  test::write_text(d + "/meta_data.json", "{\n  \"uuid\": \"x\",\n  oops\n}");
  SeedData bad = read_configdrive_dir(tmp.path(), "/dev/sr0");
  REQUIRE_FALSE(bad.read_problems.empty());
  CHECK(bad.read_problems[0].str() == "/dev/sr0/openstack/latest/meta_data.json:3:3: invalid JSON");
}

TEST_CASE("the probe order: the kernel command line before the baked seed, which comes last",
          "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_seed(root + "/usr/lib/kiln/seed", "#cloud-config\nhostname: baked\n",
                   std::string("instance-id: i-baked\n"));
  test::write_seed(tmp.path() + "/cmdline-seed", "#cloud-config\nhostname: cmdline\n",
                   std::string("instance-id: i-cmd\n"));

  ProbeOptions o;
  o.root = root;
  o.sources = {"cmdline", "imds", "seed"};
  o.cmdline = "quiet ds=nocloud;s=" + tmp.path() + "/cmdline-seed/";
  auto first = probe_datasources(o);
  REQUIRE(first.seed);
  CHECK(first.seed->source == "cmdline");

  o.cmdline = "quiet";
  auto second = probe_datasources(o);
  REQUIRE(second.seed);
  CHECK(second.seed->source == "seed");
  CHECK(second.seed->location == "/usr/lib/kiln/seed");
  CHECK(second.tried == std::vector<std::string>{"cmdline: no ds=nocloud", "imds: not EC2"});

  // ds=nocloud without a seed still carries i= and h= to the NoCloud source found.
  o.cmdline = "ds=nocloud;i=iid-from-cmdline";
  auto third = probe_datasources(o);
  REQUIRE(third.seed);
  CHECK(third.seed->instance_id_override == "iid-from-cmdline");
  auto r = run_agent_cli(
      root, {"--cmdline", "ds=nocloud;i=iid-from-cmdline", "--sources", "cmdline,seed"});
  CHECK(r.exit_code == 0);
  CHECK(status_of(root)["instance_id"] == "iid-from-cmdline");
  CHECK(read_file(root + "/etc/hostname") == "baked\n");
}

TEST_CASE("IMDS waits for a route to its endpoint, bounded by --network-timeout", "[root]") {
  if (!test::is_root()) return test::skip("needs root for a network namespace");
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const auto before = test::snapshot(root);
  // Loopback is down in the new namespace: no route to the endpoint. The
  // agent waits the network budget, then moves on to the next source.
  int code = test::run_in_new_network_namespace([&] {
    return run_agent_cli(root, {"--cmdline", "quiet", "--sources", "imds", "--imds-url",
                                "http://127.0.0.1:9/", "--network-timeout", "300"})
        .exit_code;
  });
  CHECK(code == 3);
  auto s = status_of(root);
  CHECK(s["result"] == "no-datasource");
  CHECK(s["warnings"] == nlohmann::json::array({"imds: no route to 127.0.0.1 after 300 ms"}));
  auto after = test::snapshot(root);
  for (const char* p : {"/run/kiln/status.json", "/run/kiln", "/run"}) after.erase(p);
  CHECK(after == before);

  // A route that appears while the agent waits (DHCP finishing): IMDS is
  // then asked, within its own 2 s budget.
  code = test::run_in_new_network_namespace([&] {
    std::thread later([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      try {
        test::bring_loopback_up();
      } catch (const Error&) {
        // The agent then finds no route: exit 3, checked below.
      }
    });
    auto r = run_agent_cli(root, {"--cmdline", "quiet", "--sources", "imds", "--imds-url",
                                  "http://127.0.0.1:9/", "--network-timeout", "20000"});
    later.join();
    return r.exit_code;
  });
  // Nothing listens on port 9: the route came, IMDS did not answer.
  CHECK(code == 3);
  CHECK(status_of(root)["warnings"] == nlohmann::json::array({"imds: no IMDSv2 answer"}));
}

TEST_CASE("no datasource: exit 3, nothing applied, the status says what was tried", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const auto before = test::snapshot(root);
  auto r = run_agent_cli(root, {"--cmdline", "quiet", "--sources", "cmdline,imds,seed"});
  CHECK(r.exit_code == 3);
  CHECK(r.out == "kiln-firstboot: no datasource had data; nothing applied\n");
  auto s = status_of(root);
  CHECK(s["result"] == "no-datasource");
  CHECK(s["probe_ms"].is_number_integer());
  CHECK(s["exit_code"] == 3);
  CHECK(s["warnings"] == nlohmann::json::array({"cmdline: no ds=nocloud", "imds: not EC2",
                                                "seed: no /usr/lib/kiln/seed"}));
  auto after = test::snapshot(root);
  after.erase("/run/kiln/status.json");
  after.erase("/run/kiln");
  after.erase("/run");
  CHECK(after == before);
  auto bad = test::run_cli(
      {test::firstboot_bin(), "run", "--root", root, "--no-start", "--sources", "cmdline,floppy"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err ==
        "kiln-firstboot run: unknown datasource 'floppy' in --sources (known: cmdline, nocloud, "
        "configdrive, imds, seed) "
        "(see 'kiln-firstboot run --help')\n");
}
