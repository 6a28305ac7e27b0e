#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/runtime_libs.hpp"
#include "builder/steps.hpp"
#include "tests/builder/fake_image.hpp"
#include "util/elf_deps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

// Copies the dynamic loader and every library `binary` needs from this host
// into the fake image, at the paths the loader finds them.
void copy_runtime_closure(const std::string& binary, const std::string& root) {
  RootDir host("/");
  const auto dirs = library_search_dirs(host);
  std::vector<std::string> todo = read_elf_deps(binary).needed;
  for (const auto& n : read_elf_deps(binary).dlopen) todo.push_back(n);
  std::string interp = read_elf_deps(binary).interpreter;
  mkdir_p(root + dirname_of(interp));
  copy_file(interp, root + interp);
  while (!todo.empty()) {
    std::string soname = todo.back();
    todo.pop_back();
    auto found = find_library(host, dirs, soname);
    REQUIRE(found);
    if (path_exists(root + "/usr/lib/x86_64-linux-gnu/" + soname)) continue;
    mkdir_p(root + "/usr/lib/x86_64-linux-gnu");
    copy_file(host.resolve(*found), root + "/usr/lib/x86_64-linux-gnu/" + soname);
    for (const auto& n : read_elf_deps(*found).needed) todo.push_back(n);
  }
}

std::string link_of(const std::string& p) {
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST_CASE("the firstboot step installs kiln-firstboot, its unit, image.json and the seed",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  mkdir_p(r + "/lib64");
  b.ctx.options.firstboot_binary = test::bin("kiln-firstboot");
  copy_runtime_closure(b.ctx.options.firstboot_binary, r);
  const std::string seed = b.dir.path() + "/seed";
  test::write_text(seed + "/user-data", "#cloud-config\nhostname: node1\n");
  test::write_text(seed + "/meta-data", "instance-id: i-1\nlocal-hostname: node1\n");
  b.spec.firstboot.seed = seed;

  run_firstboot_step(b.ctx);

  // Sanitizer builds of the agent exceed read_file's default cap.
  CHECK(read_file(r + "/usr/lib/kiln/kiln-firstboot", 1ULL << 30) ==
        read_file(b.ctx.options.firstboot_binary, 1ULL << 30));
  CHECK((lstat_path(r + "/usr/lib/kiln/kiln-firstboot")->st_mode & 07777) == 0755);
  CHECK(link_of(r + "/usr/bin/kiln-firstboot") == "../lib/kiln/kiln-firstboot");
  CHECK(read_file(r + "/usr/lib/systemd/system/kiln-firstboot.service") ==
        read_file(test::source_dir() + "/firstboot/units/kiln-firstboot.service"));
  CHECK(link_of(r + "/etc/systemd/system/multi-user.target.wants/kiln-firstboot.service") ==
        "/usr/lib/systemd/system/kiln-firstboot.service");
  auto meta = nlohmann::json::parse(read_file(r + "/usr/lib/kiln/image.json"));
  CHECK(meta == nlohmann::json{{"name", "test-image"},
                               {"version", "1"},
                               {"spec_sha256", std::string(64, '0')}});
  CHECK((lstat_path(r + "/usr/lib/kiln/seed")->st_mode & 07777) == 0700);
  CHECK((lstat_path(r + "/usr/lib/kiln/seed/user-data")->st_mode & 07777) == 0600);
  CHECK(read_file(r + "/usr/lib/kiln/seed/meta-data") ==
        "instance-id: i-1\nlocal-hostname: node1\n");
  CHECK_FALSE(path_exists(r + "/usr/lib/kiln/seed/network-config"));
  CHECK(b.ctx.resolved["seed"].size() == 64);
}

TEST_CASE("image.json carries the RKE2 version and prefix when the spec has rke2", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  mkdir_p(r + "/lib64");
  b.ctx.options.firstboot_binary = test::bin("kiln-firstboot");
  copy_runtime_closure(b.ctx.options.firstboot_binary, r);
  spec::Rke2 rke2;
  rke2.version = "v1.30.5+rke2r1";
  b.spec.rke2 = rke2;
  run_firstboot_step(b.ctx);
  auto meta = nlohmann::json::parse(read_file(r + "/usr/lib/kiln/image.json"));
  CHECK(meta["rke2"] == nlohmann::json{{"version", "v1.30.5+rke2r1"}, {"prefix", "/usr/local"}});
}

namespace {

// Runs the firstboot step on an image with kiln-firstboot's whole runtime
// closure but `soname`; checks the error starts with `message` (exit 4) and
// that nothing was installed.
void check_missing_library(const std::string& soname, const std::string& message) {
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  mkdir_p(r + "/lib64");
  b.ctx.options.firstboot_binary = test::bin("kiln-firstboot");
  copy_runtime_closure(b.ctx.options.firstboot_binary, r);
  REQUIRE(::unlink((r + "/usr/lib/x86_64-linux-gnu/" + soname).c_str()) == 0);
  try {
    run_firstboot_step(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with(message));
    CHECK(e.exit_code() == 4);
  }
  CHECK_FALSE(path_exists(r + "/usr/lib/kiln/kiln-firstboot"));
}

}  // namespace

TEST_CASE("the firstboot step names a library the image lacks", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  check_missing_library(
      "libyaml-cpp.so.0.7",
      "the image lacks the library 'libyaml-cpp.so.0.7', which kiln-firstboot needs (searched ");
}

TEST_CASE("the firstboot step wants the libraries kiln-firstboot loads on demand", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  // libcurl is not DT_NEEDED (it is loaded when HTTP is first used) but named
  // by the binary's .note.dlopen.
  check_missing_library("libcurl.so.4",
                        "the image lacks the library 'libcurl.so.4', which kiln-firstboot (loaded "
                        "on demand) needs (searched ");
}

TEST_CASE("a bad baked-in seed fails the build with the seed's own diagnostics", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  mkdir_p(r + "/lib64");
  b.ctx.options.firstboot_binary = test::bin("kiln-firstboot");
  copy_runtime_closure(b.ctx.options.firstboot_binary, r);
  const std::string seed = b.dir.path() + "/seed";
  test::write_text(seed + "/user-data", "#cloud-config\nhostname: [not, a, name]\n");
  test::write_text(seed + "/meta-data", "instance-id: i-1\n");
  b.spec.firstboot.seed = seed;
  try {
    run_firstboot_step(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("firstboot.seed/user-data:2:"));
    CHECK(e.exit_code() == 2);
  }
  CHECK_FALSE(path_exists(r + "/usr/lib/kiln/seed"));

  test::write_text(seed + "/user-data", "#cloud-config\n");
  test::write_text(seed + "/README", "notes\n");
  try {
    run_firstboot_step(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "firstboot.seed/README: unexpected file (a seed holds user-data, meta-data and "
          "network-config, nothing else)");
    CHECK(e.exit_code() == 2);
  }
}
