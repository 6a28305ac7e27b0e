#include "builder/overlay_manifest.hpp"

#include <catch2/catch.hpp>

#include "builder/data_dir.hpp"
#include "builder/image_accounts.hpp"
#include "builder/overlay.hpp"
#include "tests/builder/fake_image.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

std::pair<std::string, std::string> parse_error(const std::string& text) {
  try {
    parse_overlay_manifest(text, "o/kiln-overlay.yaml");
  } catch (const Error& e) {
    return {e.what(), e.detail()};
  }
  return {"(no error)", ""};
}

}  // namespace

TEST_CASE("an overlay manifest declares users, groups, files, cmdline and requirements", "[unit]") {
  OverlayManifest m = parse_overlay_manifest(R"(
groups: [monitor]
users:
  - name: etcd
    comment: etcd user
  - name: svc
    group: monitor
    home: /var/lib/svc
    shell: /bin/false
files:
  - path: /etc/rancher/rke2
    mode: "0700"
  - path: /etc/svc.conf
    owner: svc:monitor
cmdline: [fips=1]
requires:
  - path: /usr/lib/x86_64-linux-gnu/ossl-modules/fips.so
    message: needs a FIPS module
)",
                                             "o/kiln-overlay.yaml");
  CHECK(m.groups == std::vector<std::string>{"monitor"});
  REQUIRE(m.users.size() == 2);
  CHECK(m.users[0].name == "etcd");
  CHECK(m.users[0].group.empty());
  CHECK(m.users[0].shell == "/usr/sbin/nologin");
  CHECK(m.users[0].home == "/nonexistent");
  CHECK(m.users[1].group == "monitor");
  CHECK(m.users[1].home == "/var/lib/svc");
  REQUIRE(m.files.size() == 2);
  CHECK(*m.files[0].mode == 0700);
  CHECK(m.files[1].owner->user == "svc");
  CHECK(m.cmdline == std::vector<std::string>{"fips=1"});
  REQUIRE(m.requirements.size() == 1);
  CHECK(m.requirements[0].message == "needs a FIPS module");
  CHECK(parse_overlay_manifest("", "empty").users.empty());
}

TEST_CASE("overlay manifest errors carry file:line:col, all of them", "[unit]") {
  auto [msg, detail] = parse_error("users:\n  - name: etcd\n    shel: /bin/sh\n");
  CHECK(msg == "o/kiln-overlay.yaml:3:5: unknown key 'shel' in user; did you mean 'shell'?");

  std::tie(msg, detail) = parse_error("users:\n  - name: Etcd\ncmdline: [\"a b\"]\nextra: 1\n");
  CHECK(msg ==
        "o/kiln-overlay.yaml:2:11: user name 'Etcd' is not a valid account name (lowercase "
        "letters, digits, '_', '-'; at most 32)");
  CHECK(detail.find(
            "o/kiln-overlay.yaml:3:11: cmdline argument 'a b' must be one word without quotes") !=
        std::string::npos);
  CHECK(detail.find("o/kiln-overlay.yaml:4:1: unknown key 'extra' in an overlay manifest") !=
        std::string::npos);

  std::tie(msg, detail) = parse_error("files:\n  - path: etc/x\n    mode: \"0644\"\n");
  CHECK(msg.starts_with("o/kiln-overlay.yaml:2:11: files.path must be an absolute path"));

  std::tie(msg, detail) = parse_error("requires:\n  - path: /x\n");
  CHECK(msg == "o/kiln-overlay.yaml:2:5: requires entry is missing required key 'message'");

  try {
    parse_overlay_manifest("users: [", "o/kiln-overlay.yaml");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("o/kiln-overlay.yaml:1:"));
    CHECK(e.exit_code() == 2);
  }
}

TEST_CASE("system users and groups go into the image's account files deterministically", "[unit]") {
  TempDir dir;
  test::make_fake_image(dir.path());
  RootDir root(dir.path());
  ImageAccounts accounts(root);
  SystemUser etcd;
  etcd.name = "etcd";
  etcd.comment = "etcd user";
  CHECK(accounts.add_user(etcd, "overlay 'cis'"));
  // The highest free system id (998 is taken), and the group takes it too.
  CHECK(accounts.uid_of("etcd") == 999U);
  CHECK(accounts.gid_of("etcd") == 999U);
  CHECK(read_file(dir.path() + "/etc/passwd")
            .ends_with("etcd:x:999:999:etcd user:/nonexistent:/usr/sbin/nologin\n"));
  CHECK(read_file(dir.path() + "/etc/group").ends_with("etcd:x:999:\n"));
  CHECK(read_file(dir.path() + "/etc/shadow").ends_with("etcd:!:::::::\n"));
  CHECK(read_file(dir.path() + "/etc/gshadow").ends_with("etcd:!::\n"));
  CHECK((lstat_path(dir.path() + "/etc/shadow")->st_mode & 07777) == 0640);
  // Adding again changes nothing.
  CHECK_FALSE(accounts.add_user(etcd, "overlay 'cis'"));
  CHECK(accounts.add_group("monitor", "overlay 'x'"));
  CHECK(accounts.gid_of("monitor") == 997U);
  SystemUser svc;
  svc.name = "svc";
  svc.group = "monitor";
  CHECK(accounts.add_user(svc, "overlay 'x'"));
  CHECK(accounts.uid_of("svc") == 997U);
  CHECK(accounts.resolve({"svc", "monitor"}, "x") == std::pair<uid_t, gid_t>{997, 997});
  CHECK(accounts.resolve({"4242", "0"}, "x") == std::pair<uid_t, gid_t>{4242, 0});
  CHECK_THROWS_WITH(accounts.resolve({"svc", "nogrp"}, "overlay 'x': owner of '/a'"),
                    "overlay 'x': owner of '/a': no group 'nogrp' in the image's /etc/group");
}

TEST_CASE("SYS_UID_MIN/MAX in the image's login.defs bound the ids", "[unit]") {
  TempDir dir;
  test::make_fake_image(dir.path());
  test::write_text(dir.path() + "/etc/login.defs",
                   "SYS_UID_MIN 200\nSYS_UID_MAX   300\n"
                   "SYS_GID_MIN 200\nSYS_GID_MAX 250\n");
  RootDir root(dir.path());
  ImageAccounts accounts(root);
  SystemUser u;
  u.name = "svc";
  accounts.add_user(u, "x");
  CHECK(accounts.uid_of("svc") == 300U);
  CHECK(accounts.gid_of("svc") == 300U);  // the user's id, as useradd -U does
  accounts.add_group("g", "x");
  CHECK(accounts.gid_of("g") == 250U);
}

TEST_CASE("a user cannot be added to an image without /etc/passwd", "[unit]") {
  TempDir dir;
  mkdir_p(dir.path() + "/etc");
  RootDir root(dir.path());
  ImageAccounts accounts(root);
  SystemUser u;
  u.name = "etcd";
  try {
    accounts.add_user(u, "overlay 'cis'");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "overlay 'cis': the image has no /etc/passwd to add user 'etcd' to");
    CHECK(e.exit_code() == 4);
  }
}

TEST_CASE("the built-in cis overlay adds etcd and locks down RKE2's config", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  apply_overlay(b.ctx, "cis", builtin_overlays_dir() + "/cis", {});
  ImageAccounts accounts{RootDir(root)};
  REQUIRE(accounts.uid_of("etcd"));
  CHECK(*accounts.uid_of("etcd") < 1000);
  CHECK(accounts.gid_of("etcd") == accounts.uid_of("etcd"));
  CHECK(read_file(root + "/etc/passwd").find(":etcd user:/nonexistent:/usr/sbin/nologin\n") !=
        std::string::npos);
  CHECK((lstat_path(root + "/etc/rancher/rke2")->st_mode & 07777) == 0700);
  CHECK((lstat_path(root + "/etc/rancher/rke2/config.yaml.d/50-kiln-cis.yaml")->st_mode & 07777) ==
        0600);
  CHECK(path_exists(root + "/etc/sysctl.d/60-rke2-cis.conf"));
}

TEST_CASE("the built-in fips overlay adds fips=1 and fails clearly without a FIPS module",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string root = b.ctx.rootfs_dir;
  test::make_fake_image(root);
  apply_overlay(b.ctx, "fips", builtin_overlays_dir() + "/fips", {});
  CHECK(b.ctx.extra_cmdline == std::vector<std::string>{"fips=1"});
  CHECK(read_file(root + "/etc/ssl/openssl.cnf").find("default_properties = fips=yes") !=
        std::string::npos);
  try {
    check_overlay_requirements(b.ctx);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "overlay 'fips' requires '/usr/lib/x86_64-linux-gnu/ossl-modules/fips.so' in the image: "
          "the OpenSSL FIPS provider module is missing; Debian ships no validated FIPS module, so "
          "add your vendor's through the base or an earlier overlay (see docs/overlays.md)");
    CHECK(e.exit_code() == 4);
  }
  test::write_text(root + "/usr/lib/x86_64-linux-gnu/ossl-modules/fips.so", "module");
  test::write_text(root + "/etc/ssl/fipsmodule.cnf", "[fips_sect]\n");
  CHECK_NOTHROW(check_overlay_requirements(b.ctx));
}
