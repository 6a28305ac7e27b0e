#include "util/tmpfs_mount.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/statfs.h>
#include <sys/xattr.h>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/meminfo.hpp"

using namespace kiln;

namespace {

bool is_tmpfs(const std::string& path) {
  struct statfs s {};
  return ::statfs(path.c_str(), &s) == 0 && s.f_type == 0x01021994;  // TMPFS_MAGIC
}

}  // namespace

TEST_CASE("MemAvailable is read in bytes, and a malformed line is no answer", "[unit]") {
  CHECK(parse_mem_available("MemTotal:       24576000 kB\nMemFree:  1 kB\n"
                            "MemAvailable:   23000000 kB\nBuffers: 5 kB\n") == 23000000ULL * 1024);
  CHECK_FALSE(parse_mem_available("MemTotal: 1 kB\n").has_value());
  CHECK_FALSE(parse_mem_available("MemAvailable: lots kB\n").has_value());
  CHECK_FALSE(parse_mem_available("MemAvailable: 12 MB\n").has_value());
  CHECK_FALSE(parse_mem_available("MemAvailable: 99999999999999999999 kB\n").has_value());
  auto here = memory_available_bytes();
  REQUIRE(here.has_value());
  CHECK(*here > 0);
}

TEST_CASE("a tmpfs mount holds files up to its size and is gone when dropped", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  const std::string dir = tmp.path() + "/tree";
  mkdir_p(dir, 0700);
  {
    TmpfsMount m = TmpfsMount::mount(dir, 1 << 20);
    CHECK(m.path() == dir);
    CHECK(m.size_bytes() == (1U << 20));
    CHECK(is_tmpfs(dir));
    auto st = lstat_path(dir);
    CHECK((st->st_mode & 07777) == 0755);
    CHECK(st->st_uid == 0);
    test::write_text(dir + "/small", "fits");
    // More than the limit does not fit.
    UniqueFd fd = open_file(dir + "/big", O_WRONLY | O_CREAT, 0644);
    std::string chunk(256 << 10, 'x');
    int err = 0;
    for (int i = 0; i < 8 && err == 0; ++i) {
      if (::write(fd.get(), chunk.data(), chunk.size()) < 0) err = errno;
    }
    CHECK(err == ENOSPC);
    // Moving keeps one owner.
    TmpfsMount moved = std::move(m);
    CHECK(m.path().empty());
    CHECK(is_tmpfs(dir));
  }
  CHECK_FALSE(is_tmpfs(dir));
  CHECK(list_dir(dir).empty());
}

TEST_CASE("mounting on a missing directory names it", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  CHECK_THROWS_WITH(TmpfsMount::mount(tmp.path() + "/nope", 1 << 20),
                    "mount '" + tmp.path() + "/nope': No such file or directory");
}

TEST_CASE("xattr support is found by trying, and the probe leaves nothing", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  const std::string dir = tmp.path() + "/tree";
  mkdir_p(dir);
  TmpfsMount m = TmpfsMount::mount(dir, 1 << 20);
  CHECK(xattr_settable(dir, "trusted.kiln-probe", "1"));
  // No such namespace anywhere.
  CHECK_FALSE(xattr_settable(dir, "bogus.kiln-probe", "1"));
  // A malformed file capability is refused by the kernel.
  CHECK_FALSE(xattr_settable(dir, "security.capability", "xx"));
  CHECK(list_dir(dir).empty());
  // An unwritable directory cannot be probed.
  CHECK_FALSE(xattr_settable(tmp.path() + "/missing", "user.kiln-probe", "1"));
}
