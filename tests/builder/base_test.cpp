#include <algorithm>

#include <catch2/catch.hpp>
#include <sys/xattr.h>

#include "builder/base_debian.hpp"
#include "builder/dpkg_status.hpp"
#include "builder/runtime_libs.hpp"
#include "builder/steps.hpp"
#include "tests/builder/fake_image.hpp"
#include "tests/support/tar_builder.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using test::TarBuilder;

namespace {

// Records step events so a test can see a step's status.
class RecordingSink final : public EventSink {
 public:
  std::vector<StepEvent> finished;
  void step_started(const std::string&) override {}
  void step_finished(const StepEvent& e) override { finished.push_back(e); }
  void progress(const std::string&, uint64_t, uint64_t, std::string_view) override {}
  void warning(const std::string&) override {}
  void debug(const std::string&) override {}
};

void write_rootfs_tarball(const std::string& path) {
  TarBuilder()
      .dir("usr", 0755)
      .dir("usr/bin", 0755)
      .symlink("bin", "usr/bin")
      .file("usr/bin/ping", "ELF", 0755)
      .xattr("security.capability", test::file_capability(13))
      .dir("var/lib/app", 0750, 4242, 4343)
      .file("var/lib/app/state", "s", 0600, 4242, 4343)
      .file("usr/bin/sudo", "ELF", 04755)
      .file("var/lib/dpkg/status",
            "Package: iputils-ping\nStatus: install ok installed\nVersion: 3:20221126-1\n\n"
            "Package: sudo\nStatus: install ok installed\nVersion: 1.9.13p3-1\n")
      .write(path, TarBuilder::Compression::Zstd);
}

}  // namespace

TEST_CASE("a rootfs tarball base keeps owners, set-id bits and file capabilities", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string tar = b.dir.path() + "/rootfs.tar.zst";
  write_rootfs_tarball(tar);
  b.spec.base = spec::TarballBase{{tar, false, sha256_file(tar)}};
  run_base_step(b.ctx);
  const std::string r = b.ctx.rootfs_dir;
  auto st = lstat_path(r + "/var/lib/app/state");
  REQUIRE(st);
  CHECK(st->st_uid == 4242);
  CHECK(st->st_gid == 4343);
  CHECK((st->st_mode & 07777) == 0600);
  CHECK((lstat_path(r + "/usr/bin/sudo")->st_mode & 07777) == 04755);
  char buf[64];
  REQUIRE(::getxattr((r + "/usr/bin/ping").c_str(), "security.capability", buf, sizeof buf) == 20);
  CHECK(std::string(buf, 20) == test::file_capability(13));
  CHECK(b.ctx.resolved["base"] == sha256_file(tar));
  CHECK(b.ctx.report.packages == std::map<std::string, std::string>{
                                     {"iputils-ping", "3:20221126-1"}, {"sudo", "1.9.13p3-1"}});
}

TEST_CASE("a rootfs tarball with the wrong sha256 is refused before extraction", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string tar = b.dir.path() + "/rootfs.tar.zst";
  write_rootfs_tarball(tar);
  const std::string wrong(64, '1');
  b.spec.base = spec::TarballBase{{tar, false, wrong}};
  try {
    run_base_step(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "sha256 mismatch for base tarball '" + tar + "': expected " +
                                       wrong + ", got " + sha256_file(tar));
    CHECK(e.exit_code() == 3);
  }
  CHECK(list_dir(b.ctx.rootfs_dir).empty());
}

TEST_CASE("the Debian recipe adds kiln-firstboot's library packages and keys the cache", "[unit]") {
  spec::DebianBase d;
  d.suite = "bookworm";
  d.mirror = "http://deb.debian.org/debian";
  d.packages = {"systemd", "linux-image-amd64", "zlib1g=1:1.2.13.dfsg-1"};
  DebianRecipe r = debian_recipe(d, test::bin("kiln-firstboot"));
  for (const char* p : {"libc6", "libstdc++6", "libyaml-cpp0.7", "systemd", "linux-image-amd64"}) {
    INFO(p);
    CHECK(std::count(r.packages.begin(), r.packages.end(), p) == 1);
  }
  // The spec's pinned version wins over the name kiln would add.
  CHECK(std::count(r.packages.begin(), r.packages.end(), "zlib1g") == 0);
  CHECK(std::count(r.packages.begin(), r.packages.end(), "zlib1g=1:1.2.13.dfsg-1") == 1);
  CHECK(std::is_sorted(r.packages.begin(), r.packages.end()));

  const std::string key = debian_recipe_key(r);
  CHECK(debian_recipe_key(debian_recipe(d, test::bin("kiln-firstboot"))) == key);
  spec::DebianBase other = d;
  other.packages.push_back("curl");
  CHECK(debian_recipe_key(debian_recipe(other, test::bin("kiln-firstboot"))) != key);
  other = d;
  other.mirror = "http://mirror.example/debian";
  CHECK(debian_recipe_key(debian_recipe(other, test::bin("kiln-firstboot"))) != key);
  CHECK(debian_cache_path("/c", r) == "/c/base/debian-" + key + ".tar");

  DebianRecipe plain = debian_recipe(d, "");
  CHECK(mmdebstrap_argv(plain, "/c/out.tar") ==
        std::vector<std::string>{"mmdebstrap", "--variant=minbase", "--architectures=amd64",
                                 "--components=main", "--format=tar",
                                 "--include=linux-image-amd64,systemd,zlib1g=1:1.2.13.dfsg-1",
                                 "bookworm", "/c/out.tar", "http://deb.debian.org/debian"});
}

TEST_CASE("host packages for a binary's libraries come from dpkg", "[unit]") {
  auto pkgs = host_packages_for_libraries(test::bin("kiln-firstboot"));
  CHECK(std::count(pkgs.begin(), pkgs.end(), "libyaml-cpp0.7") == 1);
  CHECK(std::count(pkgs.begin(), pkgs.end(), "libc6") == 1);
  // From the .note.dlopen: libcurl is loaded on demand, not linked.
  CHECK(std::count(pkgs.begin(), pkgs.end(), "libcurl4") == 1);
}

TEST_CASE("a cached Debian base is unpacked without mmdebstrap and reported cached", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  spec::DebianBase d;
  d.suite = "bookworm";
  d.mirror = "http://127.0.0.1:9/debian";  // unreachable: mmdebstrap would fail
  d.packages = {"systemd"};
  b.spec.base = d;
  b.ctx.options.firstboot_binary = test::bin("kiln-firstboot");
  b.ctx.options.offline = true;
  const std::string cached =
      debian_cache_path(b.ctx.options.cache_dir, debian_recipe(d, b.ctx.options.firstboot_binary));
  mkdir_p(dirname_of(cached));
  write_rootfs_tarball(cached + ".zst");
  // The cache holds plain tar, as mmdebstrap writes it; libarchive reads either.
  rename_durable(cached + ".zst", cached);
  auto sink = std::make_shared<RecordingSink>();
  auto previous = set_event_sink(sink);
  run_base_step(b.ctx);
  set_event_sink(previous);
  REQUIRE(sink->finished.size() == 1);
  CHECK(sink->finished[0].step == "base");
  CHECK(sink->finished[0].status == StepStatus::Cached);
  CHECK(path_exists(b.ctx.rootfs_dir + "/usr/bin/ping"));
  // A Debian base locks to its package list, not to a tarball's bytes.
  CHECK(b.ctx.resolved["base"] == package_list_sha256(b.ctx.report.packages));
}

TEST_CASE("an uncached Debian base fails offline, naming it", "[unit]") {
  test::FakeBuild b;
  spec::DebianBase d;
  d.suite = "bookworm";
  d.mirror = "http://deb.debian.org/debian";
  b.spec.base = d;
  b.ctx.options.offline = true;
  try {
    run_base_step(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "base: the Debian base (bookworm from http://deb.debian.org/debian) is not in the cache "
          "and --offline forbids running mmdebstrap against a network mirror");
    CHECK(e.exit_code() == 4);
  }
  CHECK_FALSE(path_exists(b.ctx.options.cache_dir + "/base"));
}
