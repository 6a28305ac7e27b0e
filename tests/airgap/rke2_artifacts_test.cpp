#include <catch2/catch.hpp>

#include "airgap/artifact_set.hpp"
#include "airgap/rke2_install.hpp"
#include "builder/steps.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::test;
using namespace kiln::airgap;

namespace {

// A private copy of the stand-in set that a test may damage.
std::string copy_standin(const TempDir& tmp) {
  std::string dir = tmp.path() + "/artifacts";
  mkdir_p(dir);
  for (const auto& name : list_dir(standin_artifacts_dir())) {
    copy_file(standin_artifacts_dir() + "/" + name, dir + "/" + name);
  }
  return dir;
}

// Rewrites the checksum file so it lists `name` with the file's real sha256.
void relist(const std::string& dir, const std::string& name) {
  std::string sums = read_file(dir + "/sha256sum-amd64.txt");
  sums += sha256_file(dir + "/" + name) + "  " + name + "\n";
  write_text(dir + "/sha256sum-amd64.txt", sums);
}

template <typename Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error thrown");
  return Error("");
}

}  // namespace

TEST_CASE("the stand-in artifact set verifies, split image tarballs included", "[unit]") {
  ArtifactSet s = verify_artifact_set(standin_artifacts_dir(), "amd64", {});
  CHECK(s.sha256.count("rke2.linux-amd64.tar.gz") == 1);
  CHECK(s.sha256.count("rke2-images-core.linux-amd64.tar.zst") == 1);
  CHECK(s.sha256.count("rke2-images-canal.linux-amd64.tar.zst") == 1);
  CHECK(s.images.at("all") == "rke2-images.linux-amd64.tar.zst");
  CHECK(s.images.at("core") == "rke2-images-core.linux-amd64.tar.zst");
  CHECK(s.images.at("canal") == "rke2-images-canal.linux-amd64.tar.zst");
  ArtifactSet only = verify_artifact_set(standin_artifacts_dir(), "amd64", {"core", "canal"});
  CHECK(only.images.size() == 2);
}

TEST_CASE("artifact set errors name the file", "[unit]") {
  TempDir tmp;
  std::string dir = copy_standin(tmp);
  std::string where = "rke2 artifacts '" + dir + "': ";

  SECTION("no checksum file") {
    remove_tree(dir + "/sha256sum-amd64.txt");
    Error e = error_of([&] { verify_artifact_set(dir, "amd64", {}); });
    CHECK(std::string(e.what()) == where + "sha256sum-amd64.txt is missing");
    CHECK(e.exit_code() == 4);
  }
  SECTION("a malformed checksum line") {
    write_text(dir + "/sha256sum-amd64.txt",
               read_file(dir + "/sha256sum-amd64.txt") + "xyz  rke2-extra.linux-amd64.tar.gz\n");
    Error e = error_of([&] { verify_artifact_set(dir, "amd64", {}); });
    CHECK(std::string(e.what()) ==
          dir + "/sha256sum-amd64.txt:8: malformed checksum 'xyz' (expected 64 hex digits)");
    CHECK(e.exit_code() == 3);
  }
  SECTION("a file that does not match") {
    std::string core = dir + "/rke2-images-core.linux-amd64.tar.zst";
    std::string expected = sha256_file(core);
    write_text(core, read_file(core) + "x");
    Error e = error_of([&] { verify_artifact_set(dir, "amd64", {}); });
    CHECK(std::string(e.what()) == where +
                                       "rke2-images-core.linux-amd64.tar.zst does not match "
                                       "sha256sum-amd64.txt (expected " +
                                       expected + ", got " + sha256_file(core) + ")");
    CHECK(e.exit_code() == 3);
  }
  SECTION("a listed file that is needed but absent") {
    remove_tree(dir + "/rke2-images-canal.linux-amd64.tar.zst");
    Error e = error_of([&] { verify_artifact_set(dir, "amd64", {"core", "canal"}); });
    CHECK(std::string(e.what()) ==
          where +
              "rke2-images-canal.linux-amd64.tar.zst is listed in sha256sum-amd64.txt but missing");
    CHECK(e.exit_code() == 4);
    // Not needed: reported, not an error (upstream's docs download a subset).
    ArtifactSet s = verify_artifact_set(dir, "amd64", {"all"});
    CHECK(s.absent == std::vector<std::string>{"rke2-images-canal.linux-amd64.tar.zst"});
  }
  SECTION("the tarball missing") {
    remove_tree(dir + "/rke2.linux-amd64.tar.gz");
    CHECK_THROWS_WITH(
        verify_artifact_set(dir, "amd64", {}),
        where + "rke2.linux-amd64.tar.gz is listed in sha256sum-amd64.txt but missing");
  }
  SECTION("a release file the checksums do not list") {
    copy_file(dir + "/rke2-images-canal.linux-amd64.tar.zst",
              dir + "/rke2-images-cilium.linux-amd64.tar.zst");
    CHECK_THROWS_WITH(verify_artifact_set(dir, "amd64", {}),
                      where +
                          "rke2-images-cilium.linux-amd64.tar.zst is not listed in "
                          "sha256sum-amd64.txt, so it cannot be verified");
  }
  SECTION("install.sh unlisted is noted, never used") {
    write_text(dir + "/install.sh", "#!/bin/sh\n", 0755);
    ArtifactSet s = verify_artifact_set(dir, "amd64", {});
    CHECK(s.unlisted == std::vector<std::string>{"install.sh"});
  }
  SECTION("an image tarball whose zstd window RKE2 would reject") {
    std::string name = "rke2-images-cilium.linux-amd64.tar.zst";
    RunOptions o;
    o.stdin_data = read_file(dir + "/rke2-images-canal.linux-amd64.tar.zst");
    o.stdin_data = run({"zstd", "-dc"}, o).out;
    write_text(dir + "/" + name, run({"zstd", "-q", "-c", "--long=27"}, o).out);
    relist(dir, name);
    Error e = error_of([&] { verify_artifact_set(dir, "amd64", {}); });
    CHECK(std::string(e.what()) == "zstd '" + dir + "/" + name +
                                       "': a frame needs a 128.0 MiB window; RKE2 accepts at most "
                                       "32.0 MiB (recompress with a window log of 25 or less)");
    CHECK(e.exit_code() == 3);
  }
}

TEST_CASE("install lays the tarball's tree under /usr/local and the images beside RKE2", "[unit]") {
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  mkdir_p(root);
  ArtifactSet s = verify_artifact_set(standin_artifacts_dir(), "amd64", {"core", "canal"});
  Rke2InstallResult r = install_rke2(s, root, {});
  auto tree = list_tree(root);
  for (const char* p :
       {"usr/local/bin/rke2", "usr/local/bin/rke2-uninstall.sh",
        "usr/local/lib/systemd/system/rke2-server.service",
        "usr/local/lib/systemd/system/rke2-agent.env", "usr/local/share/rke2/rke2-cis-sysctl.conf",
        "var/lib/rancher/rke2/agent/images/rke2-images-core.linux-amd64.tar.zst",
        "var/lib/rancher/rke2/agent/images/rke2-images-core.linux-amd64.txt",
        "var/lib/rancher/rke2/agent/images/rke2-images-canal.linux-amd64.tar.zst"}) {
    CHECK(std::find(tree.begin(), tree.end(), p) != tree.end());
  }
  CHECK(std::find(tree.begin(), tree.end(),
                  "var/lib/rancher/rke2/agent/images/rke2-images.linux-amd64.tar.zst") ==
        tree.end());
  CHECK((lstat_path(root + "/usr/local/bin/rke2")->st_mode & 0777) == 0755);
  CHECK(read_file(root + "/usr/local/lib/systemd/system/rke2-server.service")
            .find("ExecStart=/usr/local/bin/rke2 server") != std::string::npos);
  // systemd's first-boot preset-all must not enable both roles.
  CHECK(read_file(root + kRke2PresetPath) ==
        "# kiln: the RKE2 role is enabled by kiln-firstboot, never by presets.\n"
        "disable rke2-server.service\n"
        "disable rke2-agent.service\n");
  CHECK(r.lock.at("rke2:rke2.linux-amd64.tar.gz") == s.sha256.at("rke2.linux-amd64.tar.gz"));
  CHECK(r.lock.at("rke2:rke2-images-canal.linux-amd64.tar.zst") ==
        sha256_file(root +
                    "/var/lib/rancher/rke2/agent/images/rke2-images-canal.linux-amd64.tar.zst"));
}

TEST_CASE("another prefix rewrites the units and moves them to /etc/systemd/system", "[unit]") {
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  mkdir_p(root);
  ArtifactSet s = verify_artifact_set(standin_artifacts_dir(), "amd64", {"all"});
  Rke2InstallOptions o;
  o.prefix = "/opt/rke2";
  install_rke2(s, root, o);
  std::string unit = read_file(root + "/etc/systemd/system/rke2-server.service");
  CHECK(unit.find("ExecStart=/opt/rke2/bin/rke2 server") != std::string::npos);
  CHECK(unit.find("EnvironmentFile=-/opt/rke2/lib/systemd/system/%N.env") != std::string::npos);
  CHECK(unit.find("/usr/local") == std::string::npos);
  CHECK_FALSE(path_exists(root + "/opt/rke2/lib/systemd/system/rke2-server.service"));
  CHECK(path_exists(root + "/opt/rke2/lib/systemd/system/rke2-server.env"));
  CHECK((lstat_path(root + "/opt/rke2/bin/rke2-uninstall.sh")->st_mode & 0777) == 0755);
  CHECK(path_exists(root + "/var/lib/rancher/rke2/agent/images/rke2-images.linux-amd64.tar.zst"));
}

TEST_CASE("install.sh's prefix substitution touches the first /usr/local of each line", "[unit]") {
  CHECK(replace_prefix("a /usr/local/x /usr/local/y\nb\n/usr/local", "/opt/rke2") ==
        "a /opt/rke2/x /usr/local/y\nb\n/opt/rke2");
}

TEST_CASE("the rke2 step installs the spec's image sets and records lock entries", "[unit]") {
  TempDir tmp;
  spec::ImageSpec spec;
  spec.name = "t";
  spec.rke2 = spec::Rke2{};
  spec.rke2->version = "v1.30.5+rke2r1";
  spec.rke2->artifacts = standin_artifacts_dir();
  BuildContext ctx{spec, {}, tmp.path() + "/work", tmp.path() + "/root", {}, {}, {}, {}};
  mkdir_p(ctx.rootfs_dir);
  run_rke2_step(ctx);
  CHECK(ctx.resolved.count("rke2:rke2.linux-amd64.tar.gz") == 1);
  CHECK(ctx.resolved.count("rke2:rke2-images-core.linux-amd64.tar.zst") == 1);
  CHECK(ctx.resolved.count("rke2:rke2-images-canal.linux-amd64.tar.zst") == 1);
  CHECK(path_exists(ctx.rootfs_dir + "/usr/local/bin/rke2"));

  spec.rke2->artifacts.reset();
  Error e = error_of([&] { run_rke2_step(ctx); });
  CHECK(std::string(e.what()) ==
        "rke2: no artifact directory (set rke2.artifacts in the spec or "
        "pass --rke2-artifacts DIR)");
  CHECK(e.exit_code() == 4);
}
