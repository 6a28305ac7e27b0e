#include "builder/pipeline.hpp"

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <sys/file.h>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

using namespace kiln;

TEST_CASE("stale work dirs of dead builds are swept, live and kept ones stay", "[unit]") {
  TempDir parent;
  const std::string dead = parent.path() + "/.kiln-work.dead01";
  const std::string live = parent.path() + "/.kiln-work.live01";
  const std::string kept = parent.path() + "/.kiln-work.kept01";
  const std::string other = parent.path() + "/.not-kiln";
  test::write_text(dead + "/.lock", "");
  test::write_text(dead + "/rootfs/etc/passwd", "x");
  test::write_text(live + "/.lock", "");
  test::write_text(kept + "/rootfs/etc/passwd", "x");  // --keep-work drops the lock file
  test::write_text(other + "/.lock", "");
  UniqueFd held = open_file(live + "/.lock", O_RDWR);
  REQUIRE(::flock(held.get(), LOCK_EX | LOCK_NB) == 0);
  // flock locks belong to open file descriptions, so the sweep's own open
  // of the lock file cannot take it while this one holds it.
  sweep_stale_work_dirs(parent.path());
  CHECK_FALSE(path_exists(dead));
  CHECK(path_exists(live));
  CHECK(path_exists(kept));
  CHECK(path_exists(other));
}

TEST_CASE("kiln.lock goes beside the spec, or in the output dir for the embedded spec", "[unit]") {
  spec::ImageSpec s;
  s.dir = "/specs";
  CHECK(default_lock_path(s, false, "/out") == "/specs/kiln.lock");
  CHECK(default_lock_path(s, true, "/out") == "/out/kiln.lock");
}
