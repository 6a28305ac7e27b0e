#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

using namespace kiln;

TEST_CASE("UniqueFd closes once and hands ownership out with release", "[unit]") {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    raw = fd.get();
    UniqueFd moved(std::move(fd));
    CHECK_FALSE(fd.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(moved.get() == raw);
    CHECK(::fcntl(raw, F_GETFD) >= 0);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);  // closed by the destructor

  UniqueFd keep(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int released = keep.release();
  CHECK_FALSE(keep.valid());
  CHECK(::fcntl(released, F_GETFD) >= 0);
  ::close(released);
}

TEST_CASE("atomic writes appear whole with their mode, and aborted ones leave nothing", "[unit]") {
  TempDir dir;
  std::string path = dir.path() + "/config.yaml";
  write_file_atomic(path, "token: x\n", 0600);
  CHECK(read_file(path) == "token: x\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  {
    AtomicFile f(path, 0644);
    f.write("half");
    // destroyed without commit: the old content stays, no temp file remains
  }
  CHECK(read_file(path) == "token: x\n");
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"config.yaml"});

  write_file_atomic(path, "new", 0640);
  CHECK(read_file(path) == "new");
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
}

TEST_CASE("atomic write into a missing directory names the path", "[unit]") {
  TempDir dir;
  std::string path = dir.path() + "/missing/file";
  try {
    write_file_atomic(path, "x");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "open '" + dir.path() + "/missing': No such file or directory");
  }
}

TEST_CASE("TempDir removes its tree, including read-only parts and symlinks", "[unit]") {
  std::string kept;
  TempDir outside;
  test::write_text(outside.path() + "/precious", "keep me");
  {
    TempDir t;
    kept = t.path();
    mkdir_p(t.path() + "/a/b/c");
    test::write_text(t.path() + "/a/b/c/file", "x");
    REQUIRE(::symlink(outside.path().c_str(), (t.path() + "/a/link").c_str()) == 0);
    CHECK(is_directory(kept));
  }
  CHECK_FALSE(path_exists(kept));
  CHECK(read_file(outside.path() + "/precious") == "keep me");  // symlink not followed
}

TEST_CASE("path helpers normalise lexically", "[unit]") {
  CHECK(normalize_path("/a/./b/../c//") == "/a/c");
  CHECK(normalize_path("a/../../b") == "../b");
  CHECK(normalize_path("/../x") == "/x");
  CHECK(path_join("/spec/dir", "sub/file") == "/spec/dir/sub/file");
  CHECK(path_join("/spec/dir", "/abs") == "/abs");
  CHECK(dirname_of("/a/b") == "/a");
  CHECK(dirname_of("b") == ".");
  CHECK(basename_of("/a/b/") == "b");
}

TEST_CASE("copy_file keeps content and mode, and read_file bounds its size", "[unit]") {
  TempDir dir;
  std::string big(300000, 'q');
  test::write_text(dir.path() + "/src", big, 0751);
  copy_file(dir.path() + "/src", dir.path() + "/dst");
  CHECK(read_file(dir.path() + "/dst") == big);
  struct stat st {};
  REQUIRE(::stat((dir.path() + "/dst").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0751);
  CHECK_THROWS_WITH(read_file(dir.path() + "/src", 1000),
                    "read '" + dir.path() + "/src': file is larger than 1000 B");
}
