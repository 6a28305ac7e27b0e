// [qemu] The default image (built once by the ctest fixture) booted under
// QEMU with UEFI firmware: it reaches multi-user.target with a read-only
// erofs root, keeps what is written to /etc and /var across a reboot, and
// grows its state partition into a disk made larger before the first boot.
// The test probe is written into a copy's persistent /etc layer with
// debugfs, so the image under test is the one `kiln build` produced.
#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/qemu_process.hpp"
#include "tests/qemu/qemu_support.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::qemu_test;

namespace {

constexpr int kBootTimeoutSeconds = 900;
constexpr uint64_t kGrowBy = 1ULL << 30;

}  // namespace

TEST_CASE("default image: multi-user, read-only root, persistent /etc and /var, state growth",
          "[qemu]") {
  REQUIRE(path_exists(default_raw()));
  auto manifest = nlohmann::json::parse(read_file(default_image_dir() + "/manifest.json"));
  uint64_t built_state = 0;
  for (const auto& p : manifest["disk"]["partitions"]) {
    if (p["name"] == "kiln-state") built_state = p["size"];
  }
  REQUIRE(built_state > 0);

  TempDir work(images_dir(), "boot-test");
  const std::string disk = work.path() + "/disk.raw";
  copy_disk(default_raw(), disk);
  install_probe(disk);
  // A bigger disk, as when the image is written to a larger drive.
  run({"qemu-img", "resize", "-q", "-f", "raw", disk, "+" + std::to_string(kGrowBy)});

  INFO("node: kiln-default (copy at " << disk << ")");
  Boot first = boot_persistent(disk, work.path() + "/console-1.log", kBootTimeoutSeconds);
  INFO("first boot: kiln run said: " << first.stderr_text << "last console lines:\n"
                                     << first.tail());
  REQUIRE(first.exit_code == 0);
  REQUIRE(std::find(first.probe.begin(), first.probe.end(), "done") != first.probe.end());
  CHECK(first.value("boot") == "1");
  // systemd breaks an ordering cycle by dropping a job, and says so.
  const std::string console_text = read_file(first.console, 64ULL << 20);
  CHECK(console_text.find("Ordering cycle") == std::string::npos);
  CHECK(console_text.find("ordering cycle") == std::string::npos);
  CHECK(first.value("multi-user") == "active");
  CHECK_THAT(first.value("root"), Catch::StartsWith("erofs,ro"));
  CHECK(first.value("root-write") == "refused");
  CHECK(first.value("etc") == "overlay");
  CHECK(first.value("var") == "ext4");
  CHECK(first.value("etc-token") == "none");
  const std::string token = first.value("wrote-token");
  REQUIRE(token.size() == 36);
  // systemd-repart grew the partition and kiln-grow-state its file system.
  uint64_t grown = std::stoull(first.value("state-bytes"));
  CHECK(grown > built_state + kGrowBy * 9 / 10);

  // What the guest wrote is on the disk itself, read back without booting.
  CHECK(trim(state_cat(disk, "/var/lib/kiln-test/token")) == token);
  CHECK(trim(state_cat(disk, "/overlay/etc/upper/kiln-test-token")) == token);

  Boot second = boot_persistent(disk, work.path() + "/console-2.log", kBootTimeoutSeconds);
  INFO("second boot: kiln run said: " << second.stderr_text << "last console lines:\n"
                                      << second.tail());
  REQUIRE(second.exit_code == 0);
  CHECK(second.value("boot") == "2");
  CHECK(second.value("etc-token") == token);
  CHECK(second.value("var-token") == token);
  CHECK(second.value("root-write") == "refused");
  CHECK(std::stoull(second.value("state-bytes")) >= grown);
}

TEST_CASE("kiln run leaves the image untouched without --persist and stops at the marker",
          "[qemu]") {
  REQUIRE(path_exists(default_raw()));
  const std::string before = read_file(default_image_dir() + "/manifest.json");
  auto manifest = nlohmann::json::parse(before);
  TempDir work(images_dir(), "run-test");
  std::string console = work.path() + "/console.log";
  auto r = test::run_cli({test::bin("kiln"), "run", default_raw(), "--marker",
                          "login:", "--timeout", std::to_string(kBootTimeoutSeconds), "--memory",
                          "1536", "--quiet", "--console-log", console},
                         {}, kBootTimeoutSeconds + 120);
  INFO("kiln run said: " << r.err << "last console lines:\n" << console_tail(console, 30));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::StartsWith("kiln run: marker 'login:' seen after "));
  // The guest wrote to a throwaway overlay: the raw image is unchanged.
  CHECK(sha256_file(default_raw()) == manifest["outputs"]["raw"]["sha256"]);
}

TEST_CASE("kiln run --seed attaches a NoCloud seed the guest's first-boot agent reads", "[qemu]") {
  // The qcow2 output this time; the seed sets the host name, which the
  // login prompt then shows.
  const std::string qcow2 = default_image_dir() + "/kiln-default.qcow2";
  REQUIRE(path_exists(qcow2));
  TempDir work(images_dir(), "seed-test");
  test::write_text(work.path() + "/seed/meta-data", "instance-id: kiln-seed-test\n");
  test::write_text(work.path() + "/seed/user-data", "#cloud-config\nhostname: seeded-node\n");
  std::string console = work.path() + "/console.log";
  auto r =
      test::run_cli({test::bin("kiln"), "run", qcow2, "--seed", work.path() + "/seed", "--marker",
                     "seeded-node login:", "--timeout", std::to_string(kBootTimeoutSeconds),
                     "--memory", "1536", "--quiet", "--console-log", console},
                    {}, kBootTimeoutSeconds + 120);
  INFO("node: kiln-default (qcow2); kiln run said: " << r.err << "last console lines:\n"
                                                     << console_tail(console, 30));
  CHECK(r.exit_code == 0);
}
