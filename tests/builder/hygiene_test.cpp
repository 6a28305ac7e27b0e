#include <unistd.h>

#include <algorithm>

#include <catch2/catch.hpp>

#include "builder/steps.hpp"
#include "tests/builder/fake_image.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

namespace {

std::string link_of(const std::string& p) {
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST_CASE("hygiene removes identities, secrets, caches and logs, and lists each", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  test::write_text(r + "/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
  test::write_text(r + "/var/lib/dbus/machine-id", "0123456789abcdef0123456789abcdef\n");
  test::write_text(r + "/etc/ssh/ssh_host_ed25519_key", "PRIVATE", 0600);
  test::write_text(r + "/etc/ssh/ssh_host_ed25519_key.pub", "PUBLIC");
  test::write_text(r + "/etc/ssh/sshd_config", "Port 22\n");
  test::write_text(r + "/usr/sbin/sshd", "ELF", 0755);
  test::write_text(r + "/etc/rancher/node/password", "secret", 0600);
  test::write_text(r + "/var/lib/rancher/rke2/server/token", "K10secret", 0600);
  test::write_text(r + "/var/lib/rancher/rke2/agent/images/keep.tar.zst", "images");
  test::write_text(r + "/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease", "x");
  test::write_text(r + "/var/lib/apt/lists/lock", "");
  mkdir_p(r + "/var/lib/apt/lists/partial");
  test::write_text(r + "/var/cache/apt/pkgcache.bin", "x");
  test::write_text(r + "/var/cache/apt/archives/foo_1_amd64.deb", "x");
  test::write_text(r + "/var/log/apt/history.log", "x");
  test::write_text(r + "/var/log/dpkg.log", "x");
  test::write_text(r + "/var/log/journal/0123/system.journal", "x");
  test::write_text(r + "/tmp/build-junk", "x");
  test::write_text(r + "/var/tmp/more-junk", "x");
  test::write_text(r + "/usr/lib/python3/dist-packages/m/__pycache__/m.cpython-311.pyc", "x");
  test::write_text(r + "/var/lib/systemd/random-seed", "seed", 0600);
  test::write_text(r + "/etc/hostname", "buildhost\n");
  test::write_text(r + "/etc/resolv.conf", "nameserver 10.0.0.1\n");

  run_hygiene_step(b.ctx);

  CHECK(read_file(r + "/etc/machine-id") == "uninitialized\n");
  CHECK(link_of(r + "/var/lib/dbus/machine-id") == "/etc/machine-id");
  CHECK_FALSE(path_exists(r + "/etc/ssh/ssh_host_ed25519_key"));
  CHECK_FALSE(path_exists(r + "/etc/ssh/ssh_host_ed25519_key.pub"));
  CHECK(path_exists(r + "/etc/ssh/sshd_config"));
  CHECK_FALSE(path_exists(r + "/etc/rancher/node/password"));
  CHECK_FALSE(path_exists(r + "/var/lib/rancher/rke2/server"));
  CHECK(path_exists(r + "/var/lib/rancher/rke2/agent/images/keep.tar.zst"));
  CHECK(list_dir(r + "/var/lib/apt/lists") == std::vector<std::string>{"lock", "partial"});
  CHECK(list_dir(r + "/var/cache/apt") == std::vector<std::string>{"archives"});
  CHECK(list_dir(r + "/var/cache/apt/archives").empty());
  CHECK(test::list_tree(r + "/var/log").empty());
  CHECK(is_directory(r + "/var/log/apt"));
  CHECK(list_dir(r + "/var/log/journal").empty());
  CHECK(list_dir(r + "/tmp").empty());
  CHECK(list_dir(r + "/var/tmp").empty());
  CHECK_FALSE(path_exists(r + "/usr/lib/python3/dist-packages/m/__pycache__"));
  CHECK_FALSE(path_exists(r + "/var/lib/systemd/random-seed"));
  CHECK_FALSE(path_exists(r + "/etc/hostname"));
  CHECK_FALSE(path_exists(r + "/etc/resolv.conf"));

  // sshd regenerates host keys at boot through kiln's keygen unit.
  CHECK(read_file(r + "/usr/lib/systemd/system/kiln-ssh-keygen.service")
            .find("ExecStart=/usr/bin/ssh-keygen -A") != std::string::npos);
  CHECK(link_of(r + "/etc/systemd/system/multi-user.target.wants/kiln-ssh-keygen.service") ==
        "/usr/lib/systemd/system/kiln-ssh-keygen.service");
  CHECK(link_of(r + "/etc/systemd/system/ssh.service.wants/kiln-ssh-keygen.service") ==
        "/usr/lib/systemd/system/kiln-ssh-keygen.service");
  // Naming ssh.socket would make systemd start it with ssh.service (see the unit).
  const std::string keygen = read_file(r + "/usr/lib/systemd/system/kiln-ssh-keygen.service");
  CHECK(keygen.find("\nBefore=ssh.service shutdown.target\n") != std::string::npos);
  CHECK(keygen.find("\nAfter=kiln-firstboot.service\n") != std::string::npos);
  for (const auto& line : split(keygen, '\n')) {
    if (!line.starts_with("#")) CHECK(line.find("ssh.socket") == std::string::npos);
  }

  const auto& removed = b.ctx.report.removed;
  for (const char* p :
       {"/var/lib/dbus/machine-id", "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/rancher/node/password",
        "/var/lib/rancher/rke2/server",
        "/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease", "/var/cache/apt/pkgcache.bin",
        "/var/cache/apt/archives/foo_1_amd64.deb", "/var/log/apt/history.log", "/var/log/dpkg.log",
        "/var/log/journal/0123", "/tmp/build-junk", "/var/tmp/more-junk",
        "/usr/lib/python3/dist-packages/m/__pycache__", "/var/lib/systemd/random-seed",
        "/etc/hostname", "/etc/resolv.conf"}) {
    INFO(p);
    CHECK(std::count(removed.begin(), removed.end(), p) == 1);
  }
  CHECK(removed.size() == 17);
}

TEST_CASE("hygiene keeps a resolv.conf symlink and installs no keygen unit without sshd",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  ::symlink("../run/systemd/resolve/stub-resolv.conf", (r + "/etc/resolv.conf").c_str());
  run_hygiene_step(b.ctx);
  CHECK(link_of(r + "/etc/resolv.conf") == "../run/systemd/resolve/stub-resolv.conf");
  CHECK_FALSE(path_exists(r + "/usr/lib/systemd/system/kiln-ssh-keygen.service"));
  CHECK(read_file(r + "/etc/machine-id") == "uninitialized\n");
  CHECK(b.ctx.report.removed.empty());
}

TEST_CASE("first boot's preset-all enables only what a preset names; the rest stays as built",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  const std::string units = r + "/usr/lib/systemd/system";
  // A socket its package left disabled, and a service systemd's own preset
  // list enables (as 90-systemd.preset does for systemd-networkd).
  test::write_text(units + "/ssh.socket",
                   "[Socket]\nListenStream=22\n[Install]\nWantedBy=sockets.target\n");
  test::write_text(units + "/ssh.service", "[Service]\nExecStart=/bin/true\n");
  test::write_text(units + "/netd.service",
                   "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
  test::write_text(r + "/usr/lib/systemd/system-preset/90-systemd.preset", "enable netd.service\n");

  run_hygiene_step(b.ctx);
  CHECK(read_file(r + "/usr/lib/systemd/system-preset/99-kiln-default.preset") ==
        "# kiln: first boot enables only what a preset names; other units stay as built.\n"
        "disable *\n");

  // What systemd does on the first boot (machine-id "uninitialized").
  auto first_boot = [&] {
    auto res =
        test::run_cli({"systemctl", "--root=" + r, "preset-all", "--preset-mode=enable-only"});
    INFO(res.err);
    REQUIRE(res.exit_code == 0);
  };
  first_boot();
  // (systemctl links through /lib or /usr/lib, depending on the tree's /lib.)
  CHECK(ends_with(link_of(r + "/etc/systemd/system/multi-user.target.wants/netd.service"),
                  "/systemd/system/netd.service"));
  CHECK_FALSE(path_exists(r + "/etc/systemd/system/sockets.target.wants/ssh.socket"));

  // Without kiln's preset, Debian's enable-by-default policy takes the socket.
  ::unlink((r + "/usr/lib/systemd/system-preset/99-kiln-default.preset").c_str());
  first_boot();
  CHECK(ends_with(link_of(r + "/etc/systemd/system/sockets.target.wants/ssh.socket"),
                  "/systemd/system/ssh.socket"));
}
