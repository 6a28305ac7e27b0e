// [qemu] kiln-firstboot on a booted image: the rke2 image (the default spec
// plus the stand-in RKE2 release, built once by the ctest fixture) boots
// with a CIDATA seed that `kiln run --seed` makes. A test-only probe unit in
// the disk's persistent /etc layer records, from inside the guest, what the
// agent did on each boot; the test reads that back from the state partition
// with debugfs. Each boot is its own `kiln run` (the probe powers the guest
// off): the first applies the seed, the second, with the same seed, must not
// apply it again, and a third with a seed carrying a new instance-id must.
// Power cycles rather than a reboot inside one run: under TCG the emulated
// machine twice never came back from the guest's own warm reset (silent
// after "reboot: Restarting system", QEMU busy, until the timeout); the
// cluster test still covers in-guest reboots.
#include <algorithm>

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/qemu/firstboot_probe.hpp"
#include "tests/qemu/qemu_support.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

using namespace kiln;
using namespace kiln::qemu_test;

namespace {

// Two boots per run under TCG, each with the stand-in RKE2 server starting.
constexpr int kRunTimeoutSeconds = 1500;

const std::string kKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOi4VJsEIjJISSnjbMWEjrR1uHgJJQB7maxV5QEIJi7f "
    "ops@kiln-qemu-test";

struct Instance {
  std::string id;
  std::string hostname;
  std::string plain;  // the content of /etc/kiln-fbtest/plain.conf
  std::string token;
};

// A NoCloud seed: a user with a key, three write_files (plain, 0600 owned by
// the user, base64), an rke2 server section and a runcmd that appends the
// instance-id to a log, so the log shows how often it ran.
std::string write_seed(const std::string& dir, const Instance& in) {
  test::write_text(dir + "/meta-data",
                   "instance-id: " + in.id + "\nlocal-hostname: " + in.hostname + "\n");
  test::write_text(dir + "/user-data", R"(#cloud-config
hostname: )" + in.hostname + R"(
users:
  - name: ops
    groups: [sudo]
    shell: /bin/bash
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    ssh_authorized_keys:
      - )" + kKey + R"(
write_files:
  - path: /etc/kiln-fbtest/plain.conf
    content: ")" + in.plain + R"(\n"
  - path: /etc/kiln-fbtest/secret.conf
    content: "secret\n"
    owner: ops:ops
    permissions: '0600'
  - path: /etc/kiln-fbtest/encoded.conf
    encoding: b64
    content: ZW5jb2RlZAo=
rke2:
  role: server
  cluster-init: true
  token: )" + in.token + R"(
  node-label: [kiln-test=firstboot]
  tls-san: [)" + in.hostname + R"(.kiln.test]
runcmd:
  - [sh, -c, 'mkdir -p /var/lib/kiln-fbtest && echo "$KILN_INSTANCE_ID" >> /var/lib/kiln-fbtest/runcmd.log']
)",
                   0600);
  // Invalid data would only show up after a long boot: check it first.
  auto v = test::run_cli({test::bin("kiln-firstboot"), "validate", "--seed", dir});
  INFO("kiln-firstboot validate: " << v.out << v.err);
  REQUIRE(v.exit_code == 0);
  return dir;
}

bool saw(const Boot& b, const std::string& marker) {
  return std::find(b.probe.begin(), b.probe.end(), marker) != b.probe.end();
}

// What a boot that applied `in` must show.
void check_applied(const ProbeReport& r, const Instance& in) {
  INFO("boot " << r.boot << ", instance " << in.id << ", status.json: " << r.status.dump());
  CHECK(r["firstboot-active"] == "active");
  CHECK(r["firstboot-result"] == "success");
  REQUIRE(r.status.is_object());
  CHECK(r.status["result"] == "ok");
  CHECK(r.status["exit_code"] == 0);
  CHECK(r.status["instance_id"] == in.id);
  CHECK(r.status["datasource"]["name"] == "nocloud");
  CHECK(r.status["errors"].empty());
  for (const char* step :
       {"users", "ssh-keys", "hostname", "write-files", "rke2", "runcmd", "role"})
    CHECK(r.step_status(step) == "ok");
  CHECK(r["firstboot-step-events"] == std::to_string(r.status["steps"].size()));

  CHECK(r["hostname"] == in.hostname);
  CHECK(r["etc-hostname"] == in.hostname);
  CHECK_THAT(r["passwd-ops"],
             Catch::StartsWith("ops:x:") && Catch::EndsWith(":/home/ops:/bin/bash"));
  // Applying a second instance adds no duplicate account lines.
  CHECK(r["passwd-ops-lines"] == "1");
  CHECK(r["shadow-ops-lines"] == "1");
  CHECK_THAT("," + r["groups-ops"] + ",", Catch::Contains(",sudo,"));
  CHECK(r.decoded("keys") == kKey + "\n");
  CHECK(r["keys-stat"] == "600 ops:ops");

  CHECK(r.file("/etc/kiln-fbtest/plain.conf") == "644 root:root " + in.plain + "\n");
  CHECK(r.file("/etc/kiln-fbtest/secret.conf") == "600 ops:ops secret\n");
  CHECK(r.file("/etc/kiln-fbtest/encoded.conf") == "644 root:root encoded\n");

  // The drop-in names the token file; the token itself is only in that file.
  CHECK(r["rke2-config-stat"] == "600 root:root");
  std::string config = r.decoded("rke2-config");
  INFO("50-kiln.yaml:\n" << config);
  CHECK(config.find(in.token) == std::string::npos);
  YAML::Node y = YAML::Load(config);
  CHECK(y["cluster-init"].as<bool>(false));
  CHECK(y["token-file"].as<std::string>("") == "/etc/rancher/rke2/kiln-token");
  CHECK_FALSE(y["token"].IsDefined());
  CHECK(y["node-label"].as<std::vector<std::string>>(std::vector<std::string>{}) ==
        std::vector<std::string>{"kiln-test=firstboot"});
  CHECK(y["tls-san"].as<std::vector<std::string>>(std::vector<std::string>{}) ==
        std::vector<std::string>{in.hostname + ".kiln.test"});
  CHECK(r["token-stat"] == "600 root:root");
  CHECK(r["token-sha256"] == sha256_hex(in.token + "\n"));

  // kiln-firstboot enabled and started the role (not waiting for it).
  CHECK(r.status["role"]["unit"] == "rke2-server.service");
  CHECK(r.status["role"]["started"] == true);
}

// sshd on any boot: after kiln-firstboot (users and keys exist before anyone
// can log in), with host keys made on this machine, and Debian's ssh.socket
// (disabled) not started in its place.
void check_ssh(const ProbeReport& r) {
  INFO("boot " << r.boot);
  CHECK(r["ssh-service"] == "active");
  CHECK(r["ssh-socket"] == "inactive");
  CHECK(std::stoll(r["ssh-started-at"]) > std::stoll(r["firstboot-exited-at"]));
  CHECK(std::stoll(r["firstboot-exited-at"]) > 0);
  CHECK(r["host-key-stat"] == "600 root:root");
}

// The role on any boot: enabled, and the stand-in server came up.
void check_role(const ProbeReport& r) {
  INFO("boot " << r.boot << ": rke2-server.service status text: " << r["role-status"]);
  CHECK(r["role-enabled"] == "enabled");
  CHECK(r["role-active"] == "active");
  CHECK(r["role-started-at"] != "0");
}

}  // namespace

TEST_CASE("kiln-firstboot applies a CIDATA seed once per instance on a booted image", "[qemu]") {
  REQUIRE(path_exists(rke2_raw()));
  TempDir work(images_dir(), "firstboot-test");
  const std::string disk = work.path() + "/disk.raw";
  copy_disk(rke2_raw(), disk);
  install_firstboot_probe(disk);

  // Plain tokens: one in RKE2's K10<ca-hash>::user:password form must
  // match the cluster CA, which a new cluster-init server does not have yet.
  const Instance first{"fb-qemu-1", "fb-node-1", "plain one", "firstboot-qemu-token-one"};
  const Instance second{"fb-qemu-2", "fb-node-2", "plain two", "firstboot-qemu-token-two"};

  // Boot 1 applies the seed; boot 2 has the same seed.
  const std::string seed1 = write_seed(work.path() + "/seed-1", first);
  Boot run1 =
      boot_persistent(disk, work.path() + "/console-1.log", kRunTimeoutSeconds, {"--seed", seed1});
  INFO("node: rke2 image (copy at " << disk << "), first run: kiln run said: " << run1.stderr_text
                                    << "last console lines:\n"
                                    << run1.tail());
  REQUIRE(run1.exit_code == 0);
  REQUIRE(saw(run1, "done boot=1"));
  Boot run1b =
      boot_persistent(disk, work.path() + "/console-1b.log", kRunTimeoutSeconds, {"--seed", seed1});
  INFO("second boot, same seed: kiln run said: " << run1b.stderr_text << "last console lines:\n"
                                                 << run1b.tail());
  REQUIRE(run1b.exit_code == 0);
  REQUIRE(saw(run1b, "done boot=2"));

  ProbeReport boot1 = read_probe_report(disk, 1);
  check_applied(boot1, first);
  check_role(boot1);
  check_ssh(boot1);
  CHECK(boot1["runcmd-log"] == first.id);

  // Booting again: the agent stops at "already applied" and changes nothing;
  // systemd starts the enabled role by itself.
  ProbeReport boot2 = read_probe_report(disk, 2);
  INFO("boot 2 status.json: " << boot2.status.dump());
  CHECK(boot2["firstboot-result"] == "success");
  REQUIRE(boot2.status.is_object());
  CHECK(boot2.status["result"] == "already-applied");
  CHECK(boot2.status["instance_id"] == first.id);
  CHECK(boot2.status["steps"].empty());
  CHECK(boot2["firstboot-step-events"] == "0");
  CHECK(boot2["runcmd-log"] == first.id);
  CHECK(boot2["hostname"] == first.hostname);
  CHECK(boot2.file("/etc/kiln-fbtest/plain.conf") == "644 root:root " + first.plain + "\n");
  check_role(boot2);
  check_ssh(boot2);

  // A seed with a new instance-id (as a cloned disk gets): applied again.
  const std::string seed2 = write_seed(work.path() + "/seed-2", second);
  Boot run2 =
      boot_persistent(disk, work.path() + "/console-2.log", kRunTimeoutSeconds, {"--seed", seed2});
  INFO("second run: kiln run said: " << run2.stderr_text << "last console lines:\n" << run2.tail());
  REQUIRE(run2.exit_code == 0);
  REQUIRE(saw(run2, "done boot=3"));
  ProbeReport boot3 = read_probe_report(disk, 3);
  check_applied(boot3, second);
  check_role(boot3);
  check_ssh(boot3);
  CHECK(boot3["runcmd-log"] == first.id + "," + second.id);
  CHECK(trim(state_cat(disk, "/var/lib/kiln/last-instance")) == second.id);

  // The tokens reached neither the console nor the status.
  for (const std::string& log : {run1.console, run2.console}) {
    std::string text = read_file(log, 64ULL << 20);
    CHECK(text.find(first.token) == std::string::npos);
    CHECK(text.find(second.token) == std::string::npos);
  }
  for (const ProbeReport* r : {&boot1, &boot2, &boot3}) {
    CHECK(r->status.dump().find("firstboot-qemu-token") == std::string::npos);
  }
}
