#include "util/archive_extract.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/support/tar_builder.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;
using test::TarBuilder;

TEST_CASE("extract_tree unpacks tar, tar.gz and tar.zst with modes and symlinks", "[unit]") {
  for (auto c : {TarBuilder::Compression::None, TarBuilder::Compression::Gzip,
                 TarBuilder::Compression::Zstd}) {
    TempDir dir;
    const std::string tar = dir.path() + "/root.tar";
    TarBuilder()
        .dir("usr", 0755)
        .dir("usr/bin", 0755)
        .file("usr/bin/tool", "#!/bin/sh\n", 0750)
        .symlink("bin", "usr/bin")
        .file("etc/ünïcode-name", "x", 0600)
        .write(tar, c);
    const std::string dest = dir.path() + "/root";
    mkdir_p(dest);
    ExtractStats stats = extract_tree(tar, dest);
    CHECK(stats.entries == 5);
    CHECK(read_file(dest + "/usr/bin/tool") == "#!/bin/sh\n");
    CHECK((lstat_path(dest + "/usr/bin/tool")->st_mode & 07777) == 0750);
    CHECK(S_ISLNK(lstat_path(dest + "/bin")->st_mode));
    CHECK(read_file(dest + "/etc/ünïcode-name") == "x");
  }
}

TEST_CASE("extract_tree refuses '..' members and leaves the outside alone", "[unit]") {
  TempDir dir;
  const std::string tar = dir.path() + "/evil.tar";
  TarBuilder().file("ok", "fine").file("../escaped", "bad").write(tar);
  const std::string dest = dir.path() + "/root";
  mkdir_p(dest);
  CHECK_THROWS_WITH(extract_tree(tar, dest),
                    Catch::Matchers::StartsWith("extract '" + dest + "/../escaped': "));
  CHECK_FALSE(path_exists(dir.path() + "/escaped"));
}

TEST_CASE("extract_tree refuses to write through a symlink in the archive", "[unit]") {
  TempDir dir;
  TempDir outside;
  const std::string tar = dir.path() + "/evil.tar";
  TarBuilder().symlink("link", outside.path()).file("link/planted", "bad").write(tar);
  const std::string dest = dir.path() + "/root";
  mkdir_p(dest);
  CHECK_THROWS_WITH(extract_tree(tar, dest),
                    Catch::Matchers::StartsWith("extract '" + dest + "/link/planted': "));
  CHECK(list_dir(outside.path()).empty());
}

TEST_CASE("extract_tree keeps numeric owners and file capabilities", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir dir;
  const std::string tar = dir.path() + "/root.tar";
  TarBuilder()
      .dir("var/lib/app", 0750, 1234, 5678)
      .file("usr/bin/ping", "ELF", 0755, 0, 0)
      .xattr("security.capability", test::file_capability(13))  // CAP_NET_RAW
      .file("var/lib/app/data", "d", 0640, 1234, 5678)
      .write(tar, TarBuilder::Compression::Zstd);
  const std::string dest = dir.path() + "/root";
  mkdir_p(dest);
  extract_tree(tar, dest);
  auto st = lstat_path(dest + "/var/lib/app/data");
  REQUIRE(st);
  CHECK(st->st_uid == 1234);
  CHECK(st->st_gid == 5678);
  CHECK(lstat_path(dest + "/var/lib/app")->st_uid == 1234);
  char buf[64];
  ssize_t n = ::getxattr((dest + "/usr/bin/ping").c_str(), "security.capability", buf, sizeof buf);
  REQUIRE(n == 20);
  CHECK(std::string(buf, 20) == test::file_capability(13));
}

TEST_CASE("extract_member streams one member, following hard links", "[unit]") {
  TempDir dir;
  const std::string tar = dir.path() + "/a.tar.gz";
  TarBuilder()
      .file("./pkg/bin/tool", "tool bytes")
      .hardlink("pkg/bin/alias", "./pkg/bin/tool")
      .symlink("pkg/link", "bin/tool")
      .write(tar, TarBuilder::Compression::Gzip);
  for (const char* member : {"pkg/bin/tool", "pkg/bin/alias"}) {
    const std::string out = dir.path() + "/out";
    UniqueFd fd = open_file(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(extract_member(tar, member, fd.get(), out));
    CHECK(read_file(out) == "tool bytes");
  }
  UniqueFd fd = open_file(dir.path() + "/none", O_WRONLY | O_CREAT, 0644);
  CHECK_FALSE(extract_member(tar, "pkg/bin/absent", fd.get(), "none"));
  CHECK_THROWS_WITH(extract_member(tar, "pkg/link", fd.get(), "none"),
                    "extract 'pkg/link' from '" + tar + "': not a regular file");
}

TEST_CASE("member names compare as the relative paths they stand for", "[unit]") {
  CHECK(archive_member_key("./etc/passwd") == "etc/passwd");
  CHECK(archive_member_key("/etc//passwd") == "etc/passwd");
  CHECK(archive_member_key("././usr/bin/") == "usr/bin");
  CHECK(archive_member_key("./") == "");
  CHECK(archive_member_key("/") == "");
  CHECK(archive_member_key("a/./b") == "a/b");
}

TEST_CASE("a truncated archive is an error naming it", "[unit]") {
  TempDir dir;
  const std::string tar = dir.path() + "/t.tar";
  TarBuilder().file("big", std::string(100000, 'x')).write(tar);
  ::truncate(tar.c_str(), 20000);
  const std::string dest = dir.path() + "/root";
  mkdir_p(dest);
  CHECK_THROWS_WITH(extract_tree(tar, dest),
                    Catch::Matchers::StartsWith("read archive '" + tar + "': "));
}
