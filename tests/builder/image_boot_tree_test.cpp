// overlays/kiln-boot: the initramfs hook and boot script that the [qemu]
// tests boot, checked here for what can be checked without booting.
#include <catch2/catch.hpp>

#include "builder/boot_layout.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

std::string boot_tree(const std::string& rel) {
  return test::source_dir() + "/overlays/kiln-boot/" + rel;
}

}  // namespace

TEST_CASE("the kiln-boot scripts are valid POSIX sh and executable", "[unit]") {
  for (const char* rel : {"usr/share/initramfs-tools/hooks/kiln-boot",
                          "usr/share/initramfs-tools/scripts/local-bottom/kiln-state"}) {
    INFO(rel);
    std::string path = boot_tree(rel);
    auto st = lstat_path(path);
    REQUIRE(st);
    CHECK((st->st_mode & 0111) == 0111);
    RunOptions o;
    o.check = false;
    auto r = run({"dash", "-n", path}, o);
    CHECK(r.exit_status == 0);
    CHECK(r.err.empty());
  }
}

TEST_CASE("the boot script mounts what the assembler lays out", "[unit]") {
  std::string script =
      read_file(boot_tree("usr/share/initramfs-tools/scripts/local-bottom/kiln-state"));
  std::vector<std::string> layers;
  for (const char* l : kOverlayLayers) layers.emplace_back(l);
  CHECK_THAT(script, Catch::Contains("layers=\"" + join(layers, " ") + "\""));
  CHECK_THAT(script, Catch::Contains(std::string("state_id=PARTLABEL=") + kStatePartName));
  CHECK_THAT(script, Catch::Contains("mount -o bind \"$state_mnt/var\" \"${rootmnt}/var\""));
  std::string hook = read_file(boot_tree("usr/share/initramfs-tools/hooks/kiln-boot"));
  CHECK_THAT(hook, Catch::Contains("manual_add_modules erofs overlay ext4"));
  CHECK_THAT(std::string(kRootCmdline), Catch::Contains(std::string("PARTLABEL=") + kRootPartName));
}

TEST_CASE("state growth: repart grows only the last partition, then its file system", "[unit]") {
  CHECK_THAT(read_file(boot_tree("usr/lib/repart.d/10-esp.conf")), Catch::Contains("Weight=0"));
  CHECK_THAT(read_file(boot_tree("usr/lib/repart.d/20-root.conf")), Catch::Contains("Weight=0"));
  CHECK_THAT(read_file(boot_tree("usr/lib/repart.d/30-state.conf")),
             Catch::Contains("Type=linux-generic"));
  std::string unit = read_file(boot_tree("usr/lib/systemd/system/kiln-grow-state.service"));
  CHECK_THAT(unit, Catch::Contains("After=systemd-repart.service"));
  CHECK_THAT(unit, Catch::Contains("systemd-growfs /run/kiln/state"));
  for (const char* rel : {"usr/lib/systemd/system/local-fs.target.wants/kiln-grow-state.service",
                          "usr/lib/systemd/system/local-fs.target.wants/tmp.mount"}) {
    INFO(rel);
    auto st = lstat_path(boot_tree(rel));
    REQUIRE(st);
    CHECK(S_ISLNK(st->st_mode));
  }
}
