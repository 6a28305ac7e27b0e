// [qemu] A second `kiln build` of the default spec with the lock the first
// build wrote: the base comes from the cache (no mmdebstrap), so does the
// initramfs, and the disk is bit-identical to the first one. The first build
// staged its tree in memory (the default on a machine with room for it); this
// one stages on disk, so the comparison also shows that where the tree lives
// does not change the image.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/qemu/qemu_support.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

using namespace kiln;
using namespace kiln::qemu_test;

TEST_CASE("a second build with unchanged spec and lock reuses the caches, bit for bit", "[qemu]") {
  REQUIRE(path_exists(default_lock()));
  auto first = nlohmann::json::parse(read_file(default_image_dir() + "/manifest.json"));
  TempDir work(images_dir(), "rebuild-test");
  const std::string out = work.path() + "/out";
  auto r =
      test::run_cli({test::bin("kiln"), "--json", "build",
                     test::source_dir() + "/images/default.yaml", "--locked", "--lock",
                     default_lock(), "--cache-dir", cache_dir(), "-o", out, "--staging", "disk"},
                    {}, 1800);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> status;
  std::string staging;
  for (const std::string& line : split(r.out, '\n')) {
    if (line.empty()) continue;
    auto e = nlohmann::json::parse(line);
    if (e.value("event", "") != "step") continue;
    status[e["step"]] = e["status"];
    if (e["step"] == "base") staging = e.value("staging", "");
  }
  CHECK(staging == "disk");
  CHECK(status["base"] == "cached");
  CHECK(status["initramfs"] == "cached");
  CHECK(status["assemble"] == "ok");

  auto second = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(second["outputs"]["raw"]["sha256"] == first["outputs"]["raw"]["sha256"]);
  CHECK(second["outputs"]["qcow2"]["sha256"] == first["outputs"]["qcow2"]["sha256"]);
  CHECK(sha256_file(out + "/kiln-default.raw") == first["outputs"]["raw"]["sha256"]);
  CHECK(second == first);
}
