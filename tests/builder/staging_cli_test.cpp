// `kiln build --staging` from the outside: where the staging tree lives, how
// the choice is reported, and a full in-memory tree.
#include <catch2/catch.hpp>

#include "tests/builder/build_dir.hpp"
#include "tests/support/tar_builder.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

using namespace kiln;
using test::BuildDir;
using test::tarball_base;
using test::TarBuilder;

TEST_CASE("kiln build: a staging tree in memory that fills up is exit 6 naming its limit",
          "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  const std::string tar = b.dir.path() + "/big.tar";
  TarBuilder().dir("usr").file("usr/big", std::string(3 << 20, 'z')).write(tar);
  b.write_spec(tarball_base("big.tar", sha256_file(tar)));
  auto r = b.build({"--staging", "memory:1M"});
  CHECK(r.exit_code == 6);
  const std::string line = test::first_line(r.err.substr(r.err.find("kiln: error:")));
  CHECK(line.starts_with("kiln: error: write '" + b.dir.path() + "/.kiln-work."));
  CHECK(line.ends_with(
      "/rootfs/usr/big': Write failed (No space left on device), while unpacking the base "
      "tarball '" +
      tar +
      "', in the staging tree in memory (limit 1.0 MiB; build with --staging disk, or a larger "
      "--staging memory:SIZE)"));
  b.check_clean();
}

TEST_CASE("kiln build --staging: where the tree lives is chosen, reported, and checked", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  BuildDir b;
  b.write_spec(tarball_base("base.tar", b.small_base()));
  // The tiny base has no dynamic loader, so each build stops after the base
  // step, which reports where it staged the tree.
  auto base_event = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{test::bin("kiln"), "--json",      "build",  b.spec(), "-o",
                                  b.out(),           "--cache-dir", b.cache()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = test::run_cli(argv);
    CHECK(r.exit_code != 0);
    for (const std::string& line : split(r.out, '\n')) {
      if (line.find("\"event\":\"step\"") != std::string::npos &&
          line.find("\"step\":\"base\"") != std::string::npos) {
        return line;
      }
    }
    return std::string("no base step event in: ") + r.out;
  };
  CHECK(base_event({}).find("\"staging\":\"memory\"") != std::string::npos);
  const std::string sized = base_event({"--staging", "memory:64M"});
  CHECK(sized.find("\"staging\":\"memory\",\"staging_limit\":\"64.0 MiB\"") != std::string::npos);
  const std::string disk = base_event({"--staging", "disk"});
  CHECK(disk.find("\"staging\":\"disk\",\"staging_reason\":\"--staging disk\"") !=
        std::string::npos);
  const std::string kept = base_event({"--keep-work"});
  CHECK(kept.find("\"staging_reason\":\"--keep-work keeps the tree on disk\"") !=
        std::string::npos);
  for (const auto& name : list_dir(b.dir.path())) {
    if (name.starts_with(".kiln-work")) remove_tree(b.dir.path() + "/" + name);
  }
  b.check_clean();

  auto bad = b.build({"--staging", "ram"});
  CHECK(bad.exit_code == 2);
  CHECK(
      bad.err.ends_with("kiln: error: --staging 'ram': expected auto, disk, memory or "
                        "memory:SIZE (SIZE at least 1M, e.g. 8G)\n"));
  auto clash = b.build({"--staging", "memory", "--keep-work"});
  CHECK(clash.exit_code == 2);
  CHECK(
      clash.err.ends_with("kiln: error: --keep-work keeps the staging tree, which needs it on "
                          "disk: drop --staging memory\n"));
  b.check_clean();
}
