#include "builder/overlay.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "builder/overlay_source.hpp"
#include "builder/steps.hpp"
#include "tests/builder/fake_image.hpp"
#include "tests/support/tar_builder.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using test::TarBuilder;

namespace {

mode_t mode_of(const std::string& p) {
  return lstat_path(p)->st_mode & 07777;
}

std::string link_of(const std::string& p) {
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// Runs `fn`, expecting kiln::Error; returns its message and exit code.
template <typename Fn>
std::pair<std::string, int> error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"(no error)", 0};
}

}  // namespace

TEST_CASE("a directory overlay lands root-owned, modes without group/other write", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  test::write_text(root + "/etc/app.conf", "old\n");
  ::symlink("/usr/share/motd", (root + "/etc/motd").c_str());
  ::chmod((root + "/etc").c_str(), 0755);

  const std::string src = b.dir.path() + "/site";
  test::write_text(src + "/etc/app.conf", "new\n", 0664);
  test::write_text(src + "/etc/motd", "hello\n", 0644);
  test::write_text(src + "/etc/secret", "s\n", 0600);
  test::write_text(src + "/usr/local/bin/run.sh", "#!/bin/sh\n", 0775);
  test::write_text(src + "/lib/modules-load.d/x.conf", "br_netfilter\n", 0644);
  ::symlink("../../outside", (src + "/etc/relative-link").c_str());
  test::write_text(src + "/kiln-overlay.yaml", "cmdline: [quiet]\n");
  ::chmod((src + "/etc").c_str(), 0775);
  ::chown((src + "/etc/app.conf").c_str(), 1000, 1000);

  std::string hash = apply_overlay(b.ctx, "site", src, {});
  CHECK(hash.size() == 64);
  CHECK(read_file(root + "/etc/app.conf") == "new\n");
  CHECK(mode_of(root + "/etc/app.conf") == 0644);
  CHECK(lstat_path(root + "/etc/app.conf")->st_uid == 0);
  CHECK(mode_of(root + "/etc/secret") == 0600);
  CHECK(mode_of(root + "/usr/local/bin/run.sh") == 0755);
  // The image's symlink at /etc/motd was replaced, not written through.
  CHECK(S_ISREG(lstat_path(root + "/etc/motd")->st_mode));
  CHECK_FALSE(path_exists(root + "/usr/share/motd"));
  // Merged /usr: lib/ in the overlay lands in usr/lib through the image's symlink.
  CHECK(read_file(root + "/usr/lib/modules-load.d/x.conf") == "br_netfilter\n");
  CHECK(S_ISLNK(lstat_path(root + "/lib")->st_mode));
  // Symlinks are copied as symlinks.
  CHECK(link_of(root + "/etc/relative-link") == "../../outside");
  // The existing /etc keeps its mode; the manifest stays out of the image.
  CHECK(mode_of(root + "/etc") == 0755);
  CHECK_FALSE(path_exists(root + "/kiln-overlay.yaml"));
  CHECK(b.ctx.extra_cmdline == std::vector<std::string>{"quiet"});
  // No temp entries are left behind.
  for (const auto& f : test::list_tree(root)) CHECK(f.find(".kiln-ovl-") == std::string::npos);
}

TEST_CASE("a tarball overlay keeps owners, modes, file capabilities and hard links", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  const std::string tar = b.dir.path() + "/ovl.tar.zst";
  TarBuilder()
      .dir("./", 0700)
      .dir("opt/app", 0750, 4242, 4343)
      .file("opt/app/ping", "ELF", 0755)
      .xattr("security.capability", test::file_capability(13))
      .hardlink("opt/app/ping2", "opt/app/ping")
      .file("opt/app/data", "d", 0640, 4242, 4343)
      .symlink("opt/app/current", "/opt/app/ping")
      .write(tar, TarBuilder::Compression::Zstd);
  apply_overlay(b.ctx, "ovl", tar, {});
  auto st = lstat_path(root + "/opt/app/data");
  CHECK(st->st_uid == 4242);
  CHECK(st->st_gid == 4343);
  CHECK(mode_of(root + "/opt/app") == 0750);
  char buf[64];
  CHECK(::getxattr((root + "/opt/app/ping").c_str(), "security.capability", buf, sizeof buf) == 20);
  CHECK(lstat_path(root + "/opt/app/ping")->st_ino == lstat_path(root + "/opt/app/ping2")->st_ino);
  CHECK(link_of(root + "/opt/app/current") == "/opt/app/ping");
  // "./" is the image root, which an overlay does not change.
  CHECK(mode_of(root) != 0700);
}

TEST_CASE("an overlay member with '../' or an absolute name is refused", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  const std::string tar = b.dir.path() + "/evil.tar";
  TarBuilder().file("etc/ok", "ok").file("etc/../../escaped", "bad").write(tar);
  auto [msg, code] = error_of([&] { apply_overlay(b.ctx, "evil", tar, {}); });
  CHECK(msg == "overlay 'evil': member 'etc/../../escaped' leaves the image root ('..')");
  CHECK(code == 2);
  CHECK_FALSE(path_exists(b.dir.path() + "/escaped"));

  const std::string abs = b.dir.path() + "/abs.tar";
  TarBuilder().file("/etc/passwd", "pwned").write(abs);
  std::tie(msg, code) = error_of([&] { apply_overlay(b.ctx, "abs", abs, {}); });
  CHECK(msg == "overlay 'abs': member '/etc/passwd' is an absolute path");
  CHECK(code == 2);
}

TEST_CASE("an overlay never writes through a symlink that leads out of the image", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  TempDir outside;
  ::symlink(outside.path().c_str(), (root + "/etc/evil").c_str());
  ::symlink("../../../../../../..", (root + "/etc/up").c_str());

  const std::string src = b.dir.path() + "/site";
  test::write_text(src + "/etc/evil/planted", "x");
  auto [msg, code] = error_of([&] { apply_overlay(b.ctx, "site", src, {}); });
  // The directory entry etc/evil is the first member that meets the symlink.
  CHECK(msg ==
        "overlay 'site': member 'etc/evil' would be written through the absolute "
        "symlink '/etc/evil' -> '" +
            outside.path() + "', which leads out of the image root");
  CHECK(code == 2);

  const std::string tar = b.dir.path() + "/files-only.tar";
  TarBuilder().file("etc/evil/planted", "x").write(tar);
  std::tie(msg, code) = error_of([&] { apply_overlay(b.ctx, "files-only", tar, {}); });
  CHECK(msg ==
        "overlay 'files-only': member 'etc/evil/planted' would be written through the "
        "absolute symlink '/etc/evil' -> '" +
            outside.path() + "', which leads out of the image root");

  const std::string src2 = b.dir.path() + "/site2";
  test::write_text(src2 + "/etc/up/tmp/planted", "x");
  std::tie(msg, code) = error_of([&] { apply_overlay(b.ctx, "site2", src2, {}); });
  CHECK(msg ==
        "overlay 'site2': member 'etc/up' would be written through the symlink "
        "'/etc/up' -> '../../../../../../..', which leads out of the image root");
  CHECK(list_dir(outside.path()).empty());
}

TEST_CASE("overlays hold files, directories and symlinks only", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  const std::string src = b.dir.path() + "/site";
  mkdir_p(src + "/run");
  REQUIRE(::mkfifo((src + "/run/fifo").c_str(), 0600) == 0);
  auto [msg, code] = error_of([&] { apply_overlay(b.ctx, "site", src, {}); });
  CHECK(
      msg ==
      "overlay 'site': member 'run/fifo' is a FIFO; overlays hold files, directories and symlinks");
  CHECK(code == 2);

  const std::string tar = b.dir.path() + "/dev.tar";
  TarBuilder::Entry dev;
  dev.path = "dev/null";
  dev.type = AE_IFCHR;
  dev.mode = 0666;
  TarBuilder().entry(dev).write(tar);
  std::tie(msg, code) = error_of([&] { apply_overlay(b.ctx, "devs", tar, {}); });
  CHECK(msg ==
        "overlay 'devs': member 'dev/null' is a character device; overlays hold files, "
        "directories and symlinks");
}

TEST_CASE("spec file attributes resolve owners against the image's own accounts", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  const std::string src = b.dir.path() + "/site";
  test::write_text(src + "/etc/app/app.conf", "x");
  spec::FileAttributes fa;
  fa.path = "/etc/app/app.conf";
  fa.owner = spec::Owner{"app", "appgrp"};  // exists only in the image
  fa.mode = 0640;
  apply_overlay(b.ctx, "site", src, {fa});
  auto st = lstat_path(root + "/etc/app/app.conf");
  CHECK(st->st_uid == 4242);
  CHECK(st->st_gid == 4343);
  CHECK((st->st_mode & 07777) == 0640);

  fa.owner = spec::Owner{"ghost", "ghost"};
  auto [msg, code] = error_of([&] { apply_overlay(b.ctx, "site", src, {fa}); });
  CHECK(msg ==
        "overlay 'site': owner of '/etc/app/app.conf': no user 'ghost' in the image's /etc/passwd");
  CHECK(code == 2);

  spec::FileAttributes missing;
  missing.path = "/etc/nope";
  missing.mode = 0600;
  std::tie(msg, code) = error_of([&] { apply_overlay(b.ctx, "site", src, {missing}); });
  CHECK(msg == "overlay 'site': files entry '/etc/nope' does not exist in the image");
}

TEST_CASE("the tree hash covers paths, modes, owners, contents and link targets only", "[unit]") {
  TempDir dir;
  const std::string src = dir.path() + "/o";
  test::write_text(src + "/etc/a.conf", "a", 0644);
  test::write_text(src + "/usr/bin/tool", "t", 0755);
  ::symlink("a.conf", (src + "/etc/link").c_str());
  ::chmod((src + "/etc").c_str(), 0755);
  ::chmod((src + "/usr").c_str(), 0755);
  ::chmod((src + "/usr/bin").c_str(), 0755);
  const std::string h1 = read_overlay_source("o", src, nullptr).tree_sha256;

  // The same tree as a tarball (root-owned, same modes) hashes the same.
  const std::string tar = dir.path() + "/o.tar.gz";
  TarBuilder()
      .dir("etc", 0755)
      .file("etc/a.conf", "a", 0644)
      .symlink("etc/link", "a.conf")
      .dir("usr", 0755)
      .dir("usr/bin", 0755)
      .file("usr/bin/tool", "t", 0755)
      .write(tar, TarBuilder::Compression::Gzip);
  CHECK(read_overlay_source("o", tar, nullptr).tree_sha256 == h1);

  // mtimes do not count; contents, modes and targets do.
  struct timespec ts[2] = {{1, 0}, {1, 0}};
  ::utimensat(AT_FDCWD, (src + "/etc/a.conf").c_str(), ts, 0);
  CHECK(read_overlay_source("o", src, nullptr).tree_sha256 == h1);
  test::write_text(src + "/etc/a.conf", "b", 0644);
  const std::string h2 = read_overlay_source("o", src, nullptr).tree_sha256;
  CHECK(h2 != h1);
  ::chmod((src + "/usr/bin/tool").c_str(), 0700);
  const std::string h3 = read_overlay_source("o", src, nullptr).tree_sha256;
  CHECK(h3 != h2);
  ::unlink((src + "/etc/link").c_str());
  ::symlink("b.conf", (src + "/etc/link").c_str());
  CHECK(read_overlay_source("o", src, nullptr).tree_sha256 != h3);
}

TEST_CASE("the overlays step applies spec overlays in order and records their hashes", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  const std::string first = b.dir.path() + "/first";
  const std::string second = b.dir.path() + "/second.tar";
  test::write_text(first + "/etc/motd", "first\n");
  TarBuilder().file("etc/motd", "second\n").write(second);
  spec::Overlay o1;
  o1.name = "first";
  o1.path = first;
  spec::Overlay o2;
  o2.name = "second.tar";
  o2.path = second;
  o2.sha256 = std::string(64, 'f');
  b.spec.overlays = {o1, o2};
  auto [msg, code] = error_of([&] { run_overlay_step(b.ctx); });
  CHECK(
      msg.starts_with("sha256 mismatch for overlay 'second.tar' '" + second + "': expected ffff"));
  CHECK(code == 3);

  b.spec.overlays[1].sha256 = sha256_file(second);
  run_overlay_step(b.ctx);
  CHECK(read_file(root + "/etc/motd") == "second\n");
  CHECK(b.ctx.resolved.count("overlay:first") == 1);
  CHECK(b.ctx.resolved["overlay:second.tar"].size() == 64);
}
