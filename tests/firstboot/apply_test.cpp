// `kiln-firstboot apply` on a fixture root: every applied key, the state it
// leaves, and the status it reports.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

namespace {

test::CliResult apply_seed(const std::string& seed, const std::string& root,
                           std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {test::firstboot_bin(), "apply", "--seed", seed, "--root", root,
                                   "--no-start"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_cli(argv);
}

std::string line_of(const std::string& file, const std::string& name) {
  for (const auto& l : split(read_file(file), '\n')) {
    if (l.starts_with(name + ":")) return l;
  }
  return "";
}

struct stat stat_of(const std::string& path) {
  auto st = lstat_path(path);
  REQUIRE(st);
  return *st;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("apply writes every supported key of the full seed to the root", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  auto r = apply_seed(test::fixture("seeds/valid/full"), root, {"--skip-commands"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // The summary: one line, the duration in the middle varies.
  CHECK(r.out.starts_with("kiln-firstboot: instance i-full from seed " +
                          test::fixture("seeds/valid/full") + ": applied (10/11 steps ok, "));
  CHECK(r.out.ends_with("), rke2-server.service not started, 2 warnings\n"));

  // users: accounts, private groups, supplementary groups (created when
  // missing), passwords, homes with the skeleton, sudo rules.
  const std::string etc = root + "/etc";
  CHECK(line_of(etc + "/passwd", "kiln") == "kiln:x:1000:1000:kiln operator:/home/kiln:/bin/sh");
  CHECK(line_of(etc + "/passwd", "alice") ==
        "alice:x:1001:1001:Alice Operator:/home/alice:/bin/bash");
  CHECK(line_of(etc + "/passwd", "prometheus") == "prometheus:x:101:101::/home/prometheus:/bin/sh");
  CHECK(line_of(etc + "/group", "sudo") == "sudo:x:27:alice");
  CHECK(line_of(etc + "/group", "kube-admins") == "kube-admins:x:100:alice");
  CHECK(line_of(etc + "/gshadow", "sudo") == "sudo:*::alice");
  CHECK(line_of(etc + "/gshadow", "kube-admins") == "kube-admins:!::alice");
  CHECK(line_of(etc + "/shadow", "kiln").starts_with("kiln:!:"));
  CHECK(line_of(etc + "/shadow", "alice").starts_with("alice:$6$rounds=4096$saltsalt$"));
  CHECK((stat_of(etc + "/shadow").st_mode & 07777) == 0640);  // mode kept
  CHECK(stat_of(root + "/home/alice").st_uid == 1001);
  CHECK((stat_of(root + "/home/alice").st_mode & 07777) == 0700);
  CHECK(read_file(root + "/home/alice/.profile") == "# fixture profile\n");
  CHECK_FALSE(path_exists(root + "/home/prometheus"));  // system user: no home
  CHECK(read_file(etc + "/sudoers.d/90-kiln-users") ==
        "# Written by kiln-firstboot from cloud-config users.\nkiln ALL=(ALL) NOPASSWD:ALL\nalice "
        "ALL=(ALL) NOPASSWD:ALL\n");
  CHECK((stat_of(etc + "/sudoers.d/90-kiln-users").st_mode & 07777) == 0440);

  // ssh keys: top-level keys went to the default user.
  CHECK(
      read_file(root + "/home/kiln/.ssh/authorized_keys") ==
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForKilnTests00000000000000000000 op@kiln\n");
  auto keys = stat_of(root + "/home/alice/.ssh/authorized_keys");
  CHECK((keys.st_mode & 07777) == 0600);
  CHECK(keys.st_uid == 1001);
  CHECK((stat_of(root + "/home/alice/.ssh").st_mode & 07777) == 0700);

  // hostname, hosts, timezone.
  CHECK(read_file(etc + "/hostname") == "node1\n");
  CHECK(read_file(etc + "/hosts").find("127.0.1.1 node1.cluster.local node1\n") !=
        std::string::npos);
  CHECK(test::snapshot(root)["/etc/localtime"].content == "/usr/share/zoneinfo/Europe/Berlin");
  CHECK(read_file(etc + "/timezone") == "Europe/Berlin\n");

  // network-config -> networkd.
  CHECK(test::list_tree(etc + "/systemd/network") ==
        std::vector<std::string>{"10-kiln-eth0.link", "10-kiln-eth0.network",
                                 "10-kiln-eth1.network", "10-kiln-vlan20.netdev",
                                 "10-kiln-vlan20.network"});

  // write_files: content, mode, owner; append; deferred after users.
  CHECK(read_file(etc + "/motd") == "Welcome to a kiln node.\n");
  CHECK(read_file(etc + "/kiln/b64.conf") == "from base64\n");
  auto b64 = stat_of(etc + "/kiln/b64.conf");
  CHECK((b64.st_mode & 07777) == 0640);
  CHECK(b64.st_gid == 100);
  CHECK(read_file(etc + "/kiln/gz.conf") == "from gzip\n");
  CHECK(read_file(etc + "/environment") == "KILN=1\n");
  CHECK(stat_of(root + "/home/alice/notes.txt").st_uid == 1001);

  // rke2: the token only in its own 0600 file.
  CHECK(read_file(etc + "/rancher/rke2/kiln-token") == "K10full-test-token\n");
  for (const char* f : {"/rancher/rke2/kiln-token", "/rancher/rke2/config.yaml.d/50-kiln.yaml",
                        "/rancher/rke2/registries.yaml"}) {
    INFO(f);
    CHECK((stat_of(etc + f).st_mode & 07777) == 0600);
  }
  std::string config = read_file(etc + "/rancher/rke2/config.yaml.d/50-kiln.yaml");
  CHECK(config.find("token-file: \"/etc/rancher/rke2/kiln-token\"") != std::string::npos);
  CHECK(config.find("K10full-test-token") == std::string::npos);
  CHECK(read_file(etc + "/rancher/rke2/registries.yaml").find("password: registry-secret") !=
        std::string::npos);

  // State: raw data 0600 in a 0700 directory; the instance is complete.
  const std::string state = root + "/var/lib/kiln/instances/i-full";
  CHECK((stat_of(root + "/var/lib/kiln").st_mode & 07777) == 0700);
  CHECK((stat_of(state + "/user-data").st_mode & 07777) == 0600);
  CHECK(read_file(state + "/user-data") == read_file(test::fixture("seeds/valid/full/user-data")));
  CHECK(path_exists(state + "/complete"));
  CHECK_FALSE(path_exists(state + "/in-progress"));
  CHECK(read_file(root + "/var/lib/kiln/last-instance") == "i-full\n");

  // status.json: world-readable, every step with its duration.
  CHECK((stat_of(root + "/run/kiln/status.json").st_mode & 07777) == 0644);
  auto j = nlohmann::json::parse(read_file(root + "/run/kiln/status.json"));
  CHECK(j["result"] == "ok");
  CHECK(j["instance_id"] == "i-full");
  CHECK(j["datasource"]["name"] == "seed");
  std::vector<std::string> names;
  for (const auto& s : j["steps"]) {
    names.push_back(s["name"].get<std::string>());
    CHECK(s["duration_ms"].is_number_integer());
  }
  CHECK(names == std::vector<std::string>{"users", "ssh-keys", "hostname", "timezone", "network",
                                          "bootcmd", "write-files", "rke2", "write-files-deferred",
                                          "runcmd", "role"});
  CHECK(j["role"] == nlohmann::json({{"unit", "rke2-server.service"}, {"started", false}}));
  CHECK(j["warnings"].size() == 2);  // bootcmd and runcmd not run (--skip-commands)
}

TEST_CASE("a reboot does nothing, --force re-applies without duplicates, a new instance-id applies",
          "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const std::string seed = tmp.path() + "/seed";

  for (const auto& f : test::list_tree(test::fixture("seeds/valid/full"))) {
    test::write_text(seed + "/" + f, read_file(test::fixture("seeds/valid/full/") + f));
  }
  REQUIRE(apply_seed(seed, root, {"--skip-commands"}).exit_code == 0);
  auto first = test::snapshot(root);

  // Same instance again (a reboot): nothing is touched but the status.
  auto again = apply_seed(seed, root, {"--skip-commands"});
  CHECK(again.exit_code == 0);
  CHECK(again.out ==
        "kiln-firstboot: instance i-full from seed " + seed + ": already applied; nothing to do\n");
  auto second = test::snapshot(root);
  second.erase("/run/kiln/status.json");
  first.erase("/run/kiln/status.json");
  CHECK(second == first);
  CHECK(nlohmann::json::parse(read_file(root + "/run/kiln/status.json"))["result"] ==
        "already-applied");

  // --force: every step again, and still one of everything.
  REQUIRE(apply_seed(seed, root, {"--skip-commands", "--force"}).exit_code == 0);
  const std::string passwd = read_file(root + "/etc/passwd");
  CHECK(count(passwd, "\nalice:") == 1);
  CHECK(count(read_file(root + "/etc/shadow"), "\nalice:") == 1);
  CHECK(line_of(root + "/etc/group", "sudo") == "sudo:x:27:alice");
  CHECK(count(read_file(root + "/home/alice/.ssh/authorized_keys"), "alice@kiln") == 1);
  CHECK(read_file(root + "/etc/environment") == "KILN=1\n");  // appended once per instance

  // A cloned disk with a new seed: a new instance-id runs again.
  test::write_text(seed + "/meta-data", "instance-id: i-clone\n");
  test::write_text(seed + "/user-data",
                   "#cloud-config\nhostname: clone1\nwrite_files:\n  - {path: /etc/environment, "
                   "content: \"CLONE=1\\n\", append: true}\n");
  auto clone = apply_seed(seed, root);
  CHECK(clone.exit_code == 0);
  CHECK(clone.out.find("instance i-clone") != std::string::npos);
  CHECK(read_file(root + "/etc/hostname") == "clone1\n");
  CHECK(read_file(root + "/etc/environment") == "KILN=1\nCLONE=1\n");
  CHECK(read_file(root + "/var/lib/kiln/last-instance") == "i-clone\n");
  CHECK(path_exists(root + "/var/lib/kiln/instances/i-clone/complete"));
}

TEST_CASE("a run cut short by power loss converges on the next boot without duplicates", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed,
                   "#cloud-config\nusers:\n  - name: alice\n    groups: [sudo]\n"
                   "write_files:\n  - {path: /etc/log.conf, content: \"added\\n\", append: true}\n"
                   "  - {path: /etc/other.conf, content: \"again\\n\", append: true}\n");
  test::write_text(root + "/etc/log.conf", "base\n");
  test::write_text(root + "/etc/other.conf", "base\n");
  REQUIRE(apply_seed(seed, root).exit_code == 0);
  REQUIRE(read_file(root + "/etc/log.conf") == "base\nadded\n");

  // Recreate the state the power loss leaves: the run was in progress, the
  // passwd line was written but not the shadow line, the group membership
  // did not happen, the first append landed but was not recorded as done,
  // and the second append was recorded as pending but never landed.
  const std::string state = root + "/var/lib/kiln/instances/i-test";
  remove_tree(state + "/complete");
  test::write_text(state + "/in-progress", "0\n", 0600);
  std::string shadow;
  for (const auto& l : split(read_file(root + "/etc/shadow"), '\n')) {
    if (!l.empty() && !l.starts_with("alice:")) shadow += l + "\n";
  }
  test::write_text(root + "/etc/shadow", shadow, 0640);
  test::write_text(
      root + "/etc/group",
      "root:x:0:\ndaemon:x:1:\nsudo:x:27:\nshadow:x:42:\nnogroup:x:65534:\nalice:x:1000:\n");
  test::write_text(root + "/etc/other.conf", "base\n");
  auto sha = [](const std::string& s) {
    return test::run_cli({"sh", "-c", "printf %s \"$0\" | sha256sum | cut -d' ' -f1", s})
        .out.substr(0, 64);
  };
  nlohmann::json progress = {
      {"done", nlohmann::json::array()},
      {"pending",
       {{"write_files[0]", sha("base\nadded\n")}, {"write_files[1]", sha("base\nagain\n")}}}};
  test::write_text(state + "/progress.json", progress.dump(), 0600);

  auto r = apply_seed(seed, root);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("warning: resuming an interrupted run of instance i-test") != std::string::npos);
  CHECK(count(read_file(root + "/etc/passwd"), "\nalice:") == 1);
  CHECK(count(read_file(root + "/etc/shadow"), "\nalice:") == 1);
  CHECK(line_of(root + "/etc/group", "sudo") == "sudo:x:27:alice");
  CHECK(read_file(root + "/etc/log.conf") == "base\nadded\n");    // landed before: not again
  CHECK(read_file(root + "/etc/other.conf") == "base\nagain\n");  // never landed: once now
  CHECK(path_exists(state + "/complete"));
  CHECK_FALSE(path_exists(state + "/in-progress"));
}

TEST_CASE(
    "a failing step fails the run closed: users stay, runcmd and the role are skipped, exit 1",
    "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(
      seed,
      "#cloud-config\nusers: [alice]\nwrite_files:\n  - {path: /etc/blocked/file, content: x}\n"
      "runcmd:\n  - [touch, /ran]\nrke2:\n  role: server\n  cluster-init: true\n");
  test::write_text(root + "/etc/blocked", "a file where a directory is needed\n");
  auto r = apply_seed(seed, root);
  CHECK(r.exit_code == 1);
  CHECK(r.out.starts_with("kiln-firstboot: instance i-test from seed " + seed +
                          ": failed (3/6 steps ok, "));
  CHECK(line_of(root + "/etc/passwd", "alice").starts_with("alice:x:1000:"));
  auto j = nlohmann::json::parse(read_file(root + "/run/kiln/status.json"));
  CHECK(j["result"] == "failed");
  CHECK(j["exit_code"] == 1);
  std::map<std::string, std::string> status;
  for (const auto& s : j["steps"])
    status[s["name"].get<std::string>()] = s["status"].get<std::string>();
  CHECK(status == std::map<std::string, std::string>{{"users", "ok"},
                                                     {"ssh-keys", "ok"},
                                                     {"write-files", "failed"},
                                                     {"rke2", "ok"},
                                                     {"runcmd", "skipped"},
                                                     {"role", "skipped"}});
  CHECK(j["errors"] ==
        nlohmann::json::array({"write-files: open '" + root +
                               "/etc/blocked': Not a directory, while writing write_files[0]"}));
  CHECK_FALSE(path_exists(root + "/var/lib/kiln/instances/i-test/complete"));
  CHECK(path_exists(root + "/var/lib/kiln/instances/i-test/in-progress"));

  // Fixed, the next boot converges.
  remove_tree(root + "/etc/blocked");
  auto again = apply_seed(seed, root, {"--skip-commands"});
  CHECK(again.exit_code == 0);
  CHECK(read_file(root + "/etc/blocked/file") == "x");
  CHECK(count(read_file(root + "/etc/passwd"), "\nalice:") == 1);
}

TEST_CASE(
    "manage_etc_hosts: localhost keeps the rest of /etc/hosts; the default user gets bash when the "
    "image has it",
    "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_text(root + "/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 old-name\n10.0.0.9 db\n");
  test::write_text(root + "/bin/bash", "", 0755);
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed,
                   "#cloud-config\nmanage_etc_hosts: localhost\nfqdn: n1.lab\nusers: [default]\n");
  REQUIRE(apply_seed(seed, root).exit_code == 0);
  CHECK(read_file(root + "/etc/hosts") ==
        "127.0.0.1 localhost\n127.0.1.1 n1.lab n1\n10.0.0.9 db\n");
  CHECK(read_file(root + "/etc/hostname") == "n1\n");
  CHECK(line_of(root + "/etc/passwd", "kiln") ==
        "kiln:x:1000:1000:kiln operator:/home/kiln:/bin/bash");
}

TEST_CASE("apply usage errors and a missing seed are one line with exit 2", "[unit]") {
  TempDir tmp;
  auto no_seed =
      test::run_cli({test::firstboot_bin(), "apply", "--root", tmp.path(), "--no-start"});
  CHECK(no_seed.exit_code == 2);
  CHECK(no_seed.err ==
        "kiln-firstboot apply: --seed DIR is required (see 'kiln-firstboot apply --help')\n");
  auto start =
      test::run_cli({test::firstboot_bin(), "apply", "--seed", tmp.path(), "--root", tmp.path()});
  CHECK(start.exit_code == 2);
  CHECK(start.err ==
        "kiln-firstboot apply: --root " + tmp.path() +
            " is not the running system; add --no-start (see 'kiln-firstboot apply --help')\n");
  auto missing = apply_seed(tmp.path() + "/nope", tmp.path());
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "kiln-firstboot: error: open seed directory '" + tmp.path() +
                           "/nope': No such file or directory\n");
  CHECK(test::list_tree(tmp.path()).empty());
}

TEST_CASE("with --json every step is an event, and so is the result", "[unit]") {
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed, "#cloud-config\nhostname: j1\n");
  auto r = test::run_cli(
      {test::firstboot_bin(), "--json", "apply", "--seed", seed, "--root", root, "--no-start"});
  REQUIRE(r.exit_code == 0);
  std::vector<nlohmann::json> events;
  for (const auto& l : split(r.out, '\n')) {
    if (!l.empty()) events.push_back(nlohmann::json::parse(l));
  }
  REQUIRE(events.size() == 3);
  CHECK(events[0] == nlohmann::json({{"event", "step-start"}, {"step", "hostname"}}));
  CHECK(events[1]["event"] == "step");
  CHECK(events[1]["status"] == "ok");
  CHECK(events[1]["duration_ms"].is_number_integer());
  CHECK(events[2]["event"] == "result");
  CHECK(events[2]["exit_code"] == 0);
}
