// Seed volumes: found by label with libblkid, mounted read-only with
// libmount in a private mount namespace, or read in user space where this
// kernel cannot mount them. Images are made the ways users make them:
// cloud-localds (vfat and iso9660), mkfs.vfat + mtools, xorriso.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "firstboot/block_devices.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/volume_mount.hpp"
#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

struct Seed {
  std::string user_data = "#cloud-config\nhostname: vol-node\n";
  std::string meta_data = "instance-id: i-vol\n";
};

std::string make_files(const std::string& dir, const Seed& s) {
  test::write_text(dir + "/user-data", s.user_data);
  test::write_text(dir + "/meta-data", s.meta_data);
  return dir;
}

// The images a user would bring, keyed by how they were made.
std::map<std::string, std::string> make_images(const std::string& tmp) {
  const std::string files = make_files(tmp + "/files", Seed{});
  std::map<std::string, std::string> img;
  img["cloud-localds vfat"] = tmp + "/localds.img";
  run({"cloud-localds", "-f", "vfat", img["cloud-localds vfat"], files + "/user-data",
       files + "/meta-data"});
  img["cloud-localds iso9660"] = tmp + "/localds.iso";
  run({"cloud-localds", img["cloud-localds iso9660"], files + "/user-data", files + "/meta-data"});
  img["mkfs.vfat + mtools"] = tmp + "/mtools.img";
  run({"mkfs.vfat", "-n", "CIDATA", "-C", img["mkfs.vfat + mtools"], "2048"});
  run({"mcopy", "-i", img["mkfs.vfat + mtools"], files + "/user-data", files + "/meta-data", "::"});
  img["xorriso"] = tmp + "/xorriso.iso";
  run({"xorriso", "-as", "mkisofs", "-quiet", "-V", "CIDATA", "-J", "-R", "-o", img["xorriso"],
       files});
  return img;
}

bool kernel_has(const std::string& fstype) {
  auto fs = read_file_if_exists("/proc/filesystems").value_or("");
  for (const auto& line : split(fs, '\n')) {
    if (trim(line) == fstype || line.ends_with("\t" + fstype)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("seed volumes are found by label and type with libblkid", "[unit]") {
  TempDir tmp;
  auto images = make_images(tmp.path());
  CHECK(probe_volume(images["cloud-localds vfat"])->label == "cidata");
  CHECK(probe_volume(images["cloud-localds vfat"])->type == "vfat");
  CHECK(probe_volume(images["cloud-localds iso9660"])->label == "cidata");
  CHECK(probe_volume(images["cloud-localds iso9660"])->type == "iso9660");
  CHECK(probe_volume(images["mkfs.vfat + mtools"])->label == "CIDATA");
  CHECK(probe_volume(images["xorriso"])->type == "iso9660");
  CHECK(probe_volume(images["xorriso"])->label == "CIDATA");

  // Only vfat and iso9660 count, whatever the label; the first match wins.
  const std::string ext4 = tmp.path() + "/ext4.img";
  run({"truncate", "-s", "8M", ext4});
  run({"mkfs.ext4", "-q", "-L", "cidata", ext4});
  // Only the seed file systems' probers run: an ext4 volume is not seen.
  CHECK_FALSE(probe_volume(ext4));
  const std::string other = tmp.path() + "/other.img";
  run({"mkfs.vfat", "-n", "DATA", "-C", other, "1024"});
  auto found = find_volume(
      {tmp.path() + "/missing", ext4, other, images["xorriso"], images["cloud-localds vfat"]},
      {"CIDATA", "cidata"});
  REQUIRE(found);
  CHECK(found->device == images["xorriso"]);
  CHECK_FALSE(find_volume({ext4, other}, {"CIDATA", "cidata"}));

  const std::string cd = tmp.path() + "/config2.img";
  run({"mkfs.vfat", "-n", "config-2", "-C", cd, "1024"});
  CHECK(find_volume({other, cd}, {"config-2", "CONFIG-2"})->device == cd);
}

TEST_CASE("a volume is mounted read-only in a private namespace and gone afterwards", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  const std::string files = make_files(tmp.path() + "/files", Seed{});
  const std::string img = tmp.path() + "/seed.ext4";
  run({"truncate", "-s", "8M", img});
  run({"mkfs.ext4", "-q", "-d", files, img});
  std::string mountpoint;
  {
    ReadOnlyMount m(img, "ext4");
    mountpoint = m.path();
    CHECK(read_file(m.path() + "/meta-data") == "instance-id: i-vol\n");
    CHECK_THROWS_WITH(write_file_atomic(m.path() + "/new", "x"),
                      Catch::Matchers::Contains("Read-only file system"));
    CHECK(read_file("/proc/self/mountinfo").find(mountpoint) != std::string::npos);
  }
  CHECK(read_file("/proc/self/mountinfo").find(mountpoint) == std::string::npos);
  CHECK_FALSE(path_exists(mountpoint));
  CHECK_THROWS_WITH(
      ReadOnlyMount(tmp.path() + "/files/meta-data", "ext4"),
      Catch::Matchers::StartsWith("mount '" + tmp.path() + "/files/meta-data' (ext4) read-only: "));
}

TEST_CASE("prefetching a seed directory skips missing files and never blocks on a FIFO", "[unit]") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/seed";
  mkdir_p(dir, 0755);
  write_file_atomic(dir + "/meta-data", "instance-id: i-pre\n");
  REQUIRE(::mkfifo((dir + "/user-data").c_str(), 0600) == 0);
  SeedFiles files = dir_seed_files(dir);
  REQUIRE(files.prefetch);
  // Opening the FIFO for reading would wait for a writer that never comes.
  files.prefetch({"user-data", "meta-data", "network-config"});
  CHECK(files.read("meta-data", 1024) == std::optional<std::string>("instance-id: i-pre\n"));
}

TEST_CASE("CIDATA volumes from cloud-localds, mkfs.vfat + mtools and xorriso are applied",
          "[root]") {
  // Mounted where the kernel has the file system, read in user space where
  // it does not: the outcome is the same.
  if (!test::enter_root_test_namespace()) return;
  INFO("kernel vfat " << kernel_has("vfat") << ", iso9660 " << kernel_has("iso9660"));
  TempDir tmp;
  for (const auto& [how, image] : make_images(tmp.path())) {
    INFO("seed made by " << how);
    const std::string root = test::make_target_root(tmp.path() + "/root-" + basename_of(image));
    auto r = test::run_cli({test::firstboot_bin(), "run", "--root", root, "--no-start",
                            "--no-journal", "--sources", "nocloud", "--device", image});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(read_file(root + "/etc/hostname") == "vol-node\n");
    auto s = nlohmann::json::parse(read_file(root + "/run/kiln/status.json"));
    CHECK(s["datasource"] == nlohmann::json({{"name", "nocloud"}, {"location", image}}));
  }
}

TEST_CASE("a config-2 volume is read as a ConfigDrive", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  const std::string img = tmp.path() + "/config2.img";
  test::write_text(tmp.path() + "/meta_data.json", R"({"uuid": "cd-1", "hostname": "cd-node"})");
  test::write_text(tmp.path() + "/user_data",
                   "#cloud-config\nwrite_files: [{path: /etc/cd, content: ok}]\n");
  run({"mkfs.vfat", "-n", "config-2", "-C", img, "2048"});
  run({"mmd", "-i", img, "::openstack", "::openstack/latest"});
  run({"mcopy", "-i", img, tmp.path() + "/meta_data.json", tmp.path() + "/user_data",
       "::openstack/latest"});
  const std::string root = test::make_target_root(tmp.path() + "/root");
  auto r = test::run_cli({test::firstboot_bin(), "run", "--root", root, "--no-start",
                          "--no-journal", "--sources", "nocloud,configdrive", "--device", img});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(root + "/etc/cd") == "ok");
  CHECK(read_file(root + "/etc/hostname") == "cd-node\n");
}
