#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"

using namespace kiln;

namespace {

struct Fixture {
  TempDir outside;
  TempDir root;
  Fixture() {
    test::write_text(outside.path() + "/secret", "host secret");
    test::write_text(root.path() + "/etc/inside", "image file");
    mkdir_p(root.path() + "/usr/lib");
    // Links that point out of the root when followed naively.
    ::symlink((outside.path() + "/secret").c_str(), (root.path() + "/abs-link").c_str());
    ::symlink("../../../../../../../../etc", (root.path() + "/etc/up-link").c_str());
    ::symlink("/etc", (root.path() + "/usr/lib/etc-link").c_str());
    ::symlink(outside.path().c_str(), (root.path() + "/outdir").c_str());
  }
};

void run_both_resolvers(const std::function<void()>& body) {
  SECTION("openat2 RESOLVE_IN_ROOT") {
    RootDir::force_portable_resolution(false);
    body();
  }
  SECTION("portable resolver") {
    RootDir::force_portable_resolution(true);
    body();
    RootDir::force_portable_resolution(false);
  }
}

}  // namespace

TEST_CASE("paths resolve inside the root: '..' and symlinks cannot escape", "[unit]") {
  Fixture f;
  RootDir root(f.root.path());
  run_both_resolvers([&] {
    CHECK(root.read_file("/etc/inside") == "image file");
    CHECK(root.read_file("../../../etc/inside") == "image file");
    // An absolute symlink to a host file resolves inside the root: no such file there.
    CHECK_FALSE(root.read_file("abs-link").has_value());
    // A relative symlink with too many '..' stops at the root.
    CHECK(root.read_file("etc/up-link/inside") == "image file");
    CHECK(root.read_file("usr/lib/etc-link/inside") == "image file");
    CHECK(root.resolve("usr/lib/etc-link/inside") == f.root.path() + "/etc/inside");
  });
}

TEST_CASE("writes through escaping symlinks land inside the root", "[unit]") {
  Fixture f;
  RootDir root(f.root.path());
  run_both_resolvers([&] {
    // The link's target, as seen from inside the root.
    mkdir_p(f.root.path() + f.outside.path());
    root.write_file("outdir/planted", "x", 0644);
    CHECK_FALSE(path_exists(f.outside.path() + "/planted"));
    CHECK(root.resolve("outdir/planted").starts_with(f.root.path() + "/"));
    root.remove("outdir/planted");
    CHECK(read_file(f.outside.path() + "/secret") == "host secret");
  });
}

TEST_CASE("mkdirs, exists, lstat and remove work within the root", "[unit]") {
  Fixture f;
  RootDir root(f.root.path());
  run_both_resolvers([&] {
    root.mkdirs("/var/lib/kiln/state", 0700);
    CHECK(is_directory(f.root.path() + "/var/lib/kiln/state"));
    CHECK(root.exists("/var/lib/kiln"));
    CHECK(root.exists("abs-link"));  // the link itself exists
    auto st = root.lstat("abs-link");
    REQUIRE(st);
    CHECK(S_ISLNK(st->st_mode));
    CHECK_FALSE(root.lstat("/no/such/path").has_value());
    root.remove("/var");
    CHECK_FALSE(path_exists(f.root.path() + "/var"));
    root.remove("/var");  // missing is fine
  });
}

TEST_CASE("write_file is atomic and sets mode", "[unit]") {
  Fixture f;
  RootDir root(f.root.path());
  root.write_file("/etc/rancher/rke2/config.yaml", "a: b\n", 0600);
  struct stat st {};
  REQUIRE(::stat((f.root.path() + "/etc/rancher/rke2/config.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(list_dir(f.root.path() + "/etc/rancher/rke2") == std::vector<std::string>{"config.yaml"});
}

TEST_CASE("a file in the middle of a path is reported", "[unit]") {
  Fixture f;
  RootDir root(f.root.path());
  CHECK_THROWS_WITH(root.mkdirs("/etc/inside/sub"),
                    Catch::Contains("'" + f.root.path() + "/etc/inside") &&
                        Catch::Contains("Not a directory"));
}

TEST_CASE("the kernel's openat2 support is probed by trying", "[unit]") {
  // Either answer is valid; the probe must not throw and must be stable.
  bool first = RootDir::kernel_resolves_in_root();
  CHECK(RootDir::kernel_resolves_in_root() == first);
}
