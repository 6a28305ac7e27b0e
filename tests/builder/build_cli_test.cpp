// `kiln build` from the outside: bad inputs, each with its exact one-line
// error, exit code, and nothing left at the output path or beside it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include <catch2/catch.hpp>
#include <sys/mount.h>
#include <sys/wait.h>

#include "tests/builder/build_dir.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/tar_builder.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

using namespace kiln;
using test::TarBuilder;

using test::BuildDir;
using test::tarball_base;

TEST_CASE("kiln build: a missing input is exit 4 naming the spec position", "[unit]") {
  BuildDir b;
  b.write_spec(tarball_base("no-such-rootfs.tar", std::string(64, 'a')));
  auto r = b.build();
  CHECK(r.exit_code == 4);
  CHECK(r.err == "kiln: error: " + b.spec() +
                     ":5:11: base.tarball.path 'no-such-rootfs.tar' does not exist\n");
  b.check_clean();
}

TEST_CASE("kiln build: an invalid spec is exit 2 and a missing spec file exit 4", "[unit]") {
  BuildDir b;
  b.write_spec("base:\n  tarbal: {}\n");
  auto r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(test::first_line(r.err) ==
        "kiln: error: " + b.spec() +
            ":4:3: base needs exactly one of 'debian', 'tarball' or 'oci'");
  // Every other problem follows as detail.
  CHECK(r.err.find("\n  " + b.spec() + ":4:3: unknown key 'tarbal' in base\n") !=
        std::string::npos);
  b.check_clean();

  // An input of the wrong kind is invalid (2), not missing (4).
  const std::string sha = b.small_base();
  TarBuilder().file("etc/motd", "hi").write(b.dir.path() + "/ovl.tar");
  b.write_spec(tarball_base("base.tar", sha) + "overlays:\n  - path: ovl.tar\n");
  r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "kiln: error: " + b.spec() + ":8:5: overlay 'ovl.tar' is a tarball and needs a sha256\n");
  b.check_clean();

  // An output format that is not implemented is refused before anything is
  // built, at its position (not after a full build).
  b.write_spec(tarball_base("base.tar", sha) + "outputs: [raw, iso]\n");
  r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(r.err == "kiln: error: " + b.spec() +
                     ":7:16: output 'iso' is not implemented in this kiln (implemented: raw, "
                     "qcow2, vhd, tar)\n");
  b.check_clean();

  // So is an unpinned airgap image archive.
  TarBuilder().file("manifest.json", "[]").write(b.dir.path() + "/app.tar");
  b.write_spec(tarball_base("base.tar", sha) + "airgap:\n  images:\n    - archive: app.tar\n");
  r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(r.err == "kiln: error: " + b.spec() +
                     ":9:7: airgap image archive 'app.tar' is a file and needs a sha256\n");
  b.check_clean();

  auto m =
      test::run_cli({test::bin("kiln"), "build", b.dir.path() + "/absent.yaml", "-o", b.out()});
  CHECK(m.exit_code == 4);
  CHECK(m.err ==
        "kiln: error: open '" + b.dir.path() + "/absent.yaml': No such file or directory\n");

  auto f = test::run_cli({test::bin("kiln"), "build", "--frobnicate"});
  CHECK(f.exit_code == 2);
  CHECK(f.err == "kiln build: unknown option '--frobnicate' (see 'kiln build --help')\n");
}

TEST_CASE("kiln build: --rke2-artifacts and --firstboot-binary must exist", "[unit]") {
  BuildDir b;
  const std::string sha = b.small_base();
  b.write_spec(tarball_base("base.tar", sha));
  auto r = b.build({"--rke2-artifacts", b.dir.path() + "/nope"});
  CHECK(r.exit_code == 4);
  CHECK(r.err == "kiln: error: open '" + b.dir.path() +
                     "/nope': --rke2-artifacts needs an RKE2 release directory\n");
  r = b.build({"--firstboot-binary", b.dir.path() + "/nofb"});
  CHECK(r.exit_code == 4);
  CHECK(r.err ==
        "kiln: error: open '" + b.dir.path() +
            "/nofb': no kiln-firstboot to install (build it, or pass --firstboot-binary)\n");
  b.check_clean();
}

TEST_CASE("kiln build: a base tarball with the wrong sha256 is exit 3", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string sha = b.small_base();
  const std::string wrong(64, '0');
  b.write_spec(tarball_base("base.tar", wrong));
  auto r = b.build();
  CHECK(r.exit_code == 3);
  CHECK(r.err.ends_with("kiln: error: sha256 mismatch for base tarball '" + b.dir.path() +
                        "/base.tar': expected " + wrong + ", got " + sha + "\n"));
  b.check_clean();
}

TEST_CASE("kiln build: an overlay member with '../' is exit 2 naming overlay and member",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string sha = b.small_base();
  const std::string ovl = b.dir.path() + "/evil.tar.gz";
  TarBuilder()
      .file("etc/motd", "hi")
      .file("etc/../../../escaped", "x")
      .write(ovl, TarBuilder::Compression::Gzip);
  b.write_spec(tarball_base("base.tar", sha) +
               "overlays:\n  - path: evil.tar.gz\n    sha256: " + sha256_file(ovl) + "\n");
  auto r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(
      r.err.ends_with("kiln: error: overlay 'evil.tar.gz': member 'etc/../../../escaped' leaves "
                      "the image root ('..')\n"));
  b.check_clean();
  CHECK_FALSE(path_exists(b.dir.path() + "/escaped"));
}

TEST_CASE("kiln build: an overlay writing through an absolute symlink of the image is exit 2",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string sha = b.small_base();  // etc/evil -> /tmp
  const std::string ovl = b.dir.path() + "/site.tar";
  TarBuilder().file("etc/evil/planted-by-kiln-test", "x").write(ovl);
  b.write_spec(tarball_base("base.tar", sha) +
               "overlays:\n  - path: site.tar\n    sha256: " + sha256_file(ovl) + "\n");
  auto r = b.build();
  CHECK(r.exit_code == 2);
  CHECK(r.err.ends_with(
      "kiln: error: overlay 'site.tar': member 'etc/evil/planted-by-kiln-test' would "
      "be written through the absolute symlink '/etc/evil' -> '/tmp', which leads "
      "out of the image root\n"));
  CHECK_FALSE(path_exists("/tmp/planted-by-kiln-test"));
  b.check_clean();
}

TEST_CASE("kiln build: a disk that fills up is exit 6 and leaves nothing", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string tar = b.dir.path() + "/big.tar";
  std::string noise;
  for (int i = 0; i < 3 * 1024 * 1024; ++i) noise += static_cast<char>((i * 2654435761U) >> 13);
  TarBuilder().dir("usr").file("usr/big", noise).write(tar);
  b.write_spec(tarball_base("big.tar", sha256_file(tar)));
  const std::string small = b.dir.path() + "/small";
  mkdir_p(small);
  REQUIRE(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") == 0);
  auto r = test::run_cli({test::bin("kiln"), "build", b.spec(), "-o", small + "/out", "--cache-dir",
                          b.cache(), "--staging", "disk"});
  CHECK(r.exit_code == 6);
  const std::string line = test::first_line(r.err.substr(r.err.find("kiln: error:")));
  CHECK(line.starts_with("kiln: error: write '" + small + "/.kiln-work."));
  CHECK(
      line.ends_with("/rootfs/usr/big': Write failed (No space left on device), while unpacking "
                     "the base tarball '" +
                     tar + "'"));
  CHECK(list_dir(small).empty());
  ::umount(small.c_str());
}

TEST_CASE("kiln build: a failing mmdebstrap shows its quoted command and log tail, exit 5",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  b.write_spec(
      "base:\n  debian:\n    suite: bookworm\n    mirror: http://127.0.0.1:9/debian\n"
      "    packages: [systemd]\n");
  auto r = b.build();
  CHECK(r.exit_code == 5);
  const std::string line = test::first_line(r.err.substr(r.err.find("kiln: error:")));
  CHECK(line.starts_with("kiln: error: command failed (exit status "));
  CHECK(line.find("): mmdebstrap --variant=minbase --architectures=amd64 --components=main "
                  "--format=tar --include=") != std::string::npos);
  CHECK(line.find(" bookworm " + b.cache() + "/base/.tmp-") != std::string::npos);
  CHECK(
      line.ends_with(".tar http://127.0.0.1:9/debian, while creating the Debian base (bookworm "
                     "from http://127.0.0.1:9/debian)"));
  // The tail of mmdebstrap's log follows, indented.
  CHECK(r.err.find("\n  E: mmdebstrap failed to run\n") != std::string::npos);
  b.check_clean();
  CHECK(list_dir(b.cache() + "/base").empty());
}

TEST_CASE("kiln build --locked: no lock, or an input that differs, is exit 3", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string sha = b.small_base();
  b.write_spec(tarball_base("base.tar", sha));
  const std::string lock = b.dir.path() + "/kiln.lock";
  auto r = b.build({"--locked"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "kiln: error: open '" + lock +
                     "': --locked needs a lock file (build once without --locked to create it)\n");
  b.check_clean();

  test::write_text(lock, "{\"kiln-lock\": 1, \"images\": {\"other\": {\"inputs\": {}}}}\n");
  r = b.build({"--locked"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "kiln: error: the lock file '" + lock +
                     "' has no entry for image 't' (build once without --locked to add it)\n");

  const std::string old(64, '9');
  test::write_text(
      lock, "{\"kiln-lock\": 1, \"images\": {\"t\": {\"inputs\": {\"base\": \"" + old + "\"}}}}\n");
  r = b.build({"--locked"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.ends_with("kiln: error: input 'base' differs from the lock file '" + lock +
                        "': locked " + old + ", now " + sha + "\n"));
  b.check_clean();
  // --locked never rewrites the lock.
  CHECK(read_file(lock).find(old) != std::string::npos);
}

namespace {

// A child whose stdout is read line by line while it runs.
struct Child {
  pid_t pid = -1;
  UniqueFd out;
  UniqueFd err;
};

Child spawn(const std::vector<std::string>& argv) {
  int o[2];
  int e[2];
  REQUIRE(::pipe2(o, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(e, O_CLOEXEC) == 0);
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(o[1], 1);
    ::dup2(e[1], 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(o[1]);
  ::close(e[1]);
  return Child{pid, UniqueFd(o[0]), UniqueFd(e[0])};
}

// Reads the child's stdout until `needle` shows up (or 30 s pass).
bool wait_for_output(Child& c, const std::string& needle) {
  std::string seen;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{c.out.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(c.out.get(), buf, sizeof buf);
    if (n <= 0) return false;
    seen.append(buf, static_cast<size_t>(n));
    if (seen.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("kiln build: SIGINT or SIGTERM mid-step cleans every temp file, exit 130", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  for (int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    BuildDir b;
    test::HttpServer server([](const test::HttpRequest&) {
      test::HttpResponse r{200, {}, "never finished"};
      r.delay_ms = 30000;
      return r;
    });
    const std::string url = server.url("/rootfs.tar");
    b.write_spec(tarball_base(url, std::string(64, 'a')));
    Child c = spawn(
        {test::bin("kiln"), "--json", "build", b.spec(), "-o", b.out(), "--cache-dir", b.cache()});
    REQUIRE(wait_for_output(c, "{\"event\":\"step-start\",\"step\":\"base\"}"));
    // Give the download a moment to be in flight, then interrupt it.
    for (int i = 0; i < 1000 && server.requests().empty(); ++i) ::usleep(10000);
    REQUIRE(server.requests().size() == 1);
    ::kill(c.pid, sig);
    int status = 0;
    REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    std::string err = read_fd(c.err.get(), "stderr");
    CHECK(err == "kiln: error: download '" + url + "': interrupted, while fetching base tarball\n");
    b.check_clean();
    CHECK(test::list_tree(b.cache()).empty());
  }
}
