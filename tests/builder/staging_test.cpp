#include "builder/staging.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "builder/build_context.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

using namespace kiln;
using Mode = StagingRequest::Mode;

namespace {

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;

int exit_code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.exit_code();
  }
  return 0;
}

}  // namespace

TEST_CASE("the values of kiln build --staging", "[unit]") {
  CHECK(parse_staging("auto").mode == Mode::Auto);
  CHECK(parse_staging("disk").mode == Mode::Disk);
  CHECK(parse_staging("memory").mode == Mode::Memory);
  CHECK_FALSE(parse_staging("memory").memory_limit.has_value());
  auto sized = parse_staging("memory:8G");
  CHECK(sized.mode == Mode::Memory);
  CHECK(sized.memory_limit == 8 * kGiB);
  CHECK(parse_staging("memory:1.5GiB").memory_limit == 3 * kGiB / 2);
  for (const char* bad : {"ram", "memory:", "memory:lots", "memory:512K", "Disk", ""}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_staging(bad),
                      "--staging '" + std::string(bad) +
                          "': expected auto, disk, memory or memory:SIZE (SIZE at least 1M, e.g. "
                          "8G)");
    CHECK(exit_code_of([&] { parse_staging(bad); }) == 2);
  }
}

TEST_CASE("auto stages in memory when twice the tree and room to grow fit in half of it",
          "[unit]") {
  const StagingRequest automatic;
  // The default image: an 816 MiB base on a 22 GiB machine.
  auto p = plan_staging(automatic, 816 * kMiB, 22 * kGiB, false);
  CHECK(p.in_memory);
  CHECK(p.limit == 11 * kGiB);
  CHECK(p.reason == "the tree (about 816.0 MiB) fits in half the available memory");
  // 2 x 1.5 GiB + 512 MiB = 3.5 GiB: fits 8 GiB (limit 4 GiB), not 6 GiB.
  CHECK(plan_staging(automatic, 1536 * kMiB, 8 * kGiB, false).in_memory);
  auto tight = plan_staging(automatic, 1536 * kMiB, 6 * kGiB, false);
  CHECK_FALSE(tight.in_memory);
  CHECK(tight.reason ==
        "the tree (about 1.5 GiB) needs more than half the available memory (6.0 GiB)");
  auto unknown = plan_staging(automatic, kMiB, std::nullopt, false);
  CHECK_FALSE(unknown.in_memory);
  CHECK(unknown.reason == "the available memory is unknown");
  auto kept = plan_staging(automatic, kMiB, 22 * kGiB, true);
  CHECK_FALSE(kept.in_memory);
  CHECK(kept.reason == "--keep-work keeps the tree on disk");
}

TEST_CASE("disk is disk; memory is memory, with its own limit or half of what is free", "[unit]") {
  auto disk = plan_staging(parse_staging("disk"), kMiB, 22 * kGiB, false);
  CHECK_FALSE(disk.in_memory);
  CHECK(disk.reason == "--staging disk");
  // Forced: no fit check, a tree bigger than the estimate rule allows.
  auto forced = plan_staging(parse_staging("memory"), 8 * kGiB, 10 * kGiB, false);
  CHECK(forced.in_memory);
  CHECK(forced.limit == 5 * kGiB);
  auto sized = plan_staging(parse_staging("memory:2G"), 8 * kGiB, std::nullopt, false);
  CHECK(sized.in_memory);
  CHECK(sized.limit == 2 * kGiB);
  CHECK_THROWS_WITH(plan_staging(parse_staging("memory"), kMiB, std::nullopt, false),
                    "--staging memory: cannot read MemAvailable from /proc/meminfo; give the "
                    "limit as --staging memory:SIZE");
}

TEST_CASE("a base's unpacked size is its own for tar, four times it when compressed", "[unit]") {
  TempDir tmp;
  struct Case {
    const char* name;
    std::string head;
    uint64_t factor;
  };
  const std::string pad(1000, 'p');
  for (const Case& c : {Case{"plain.tar", "ustar", 1}, Case{"a.tar.gz", "\x1f\x8b", 4},
                        Case{"a.tar.zst", std::string("\x28\xb5\x2f\xfd", 4), 4},
                        Case{"a.tar.xz",
                             std::string("\xfd"
                                         "7zXZ\0",
                                         6),
                             4},
                        Case{"a.tar.bz2", "BZh9", 4}, Case{"tiny", "", 1}}) {
    INFO(c.name);
    const std::string path = tmp.path() + "/" + c.name;
    test::write_text(path, c.head + pad);
    CHECK(estimated_unpacked_bytes(path) == c.factor * (c.head.size() + pad.size()));
  }
  CHECK_THROWS_WITH(estimated_unpacked_bytes(tmp.path() + "/missing"),
                    "open '" + tmp.path() + "/missing': No such file or directory");
}

TEST_CASE("the out-of-space hint appears only for a tree in memory", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  spec::ImageSpec spec;
  BuildContext ctx{spec, {}, tmp.path(), tmp.path() + "/stage/rootfs", {}, {}, {}, {}};
  mkdir_p(ctx.rootfs_dir);
  // Anything else beside the tree would be hidden by the mount: refused.
  test::write_text(tmp.path() + "/stage/log", "x");
  ctx.options.staging = parse_staging("memory:64M");
  StepTimer refused("base");
  CHECK_THROWS_WITH(prepare_staging_tree(ctx, kMiB, refused),
                    "stage in memory at '" + tmp.path() +
                        "/stage': it must hold nothing but the empty staging tree, while staging "
                        "the tree in memory (--staging memory)");
  CHECK_FALSE(ctx.staging_mount.has_value());
  ::unlink((tmp.path() + "/stage/log").c_str());
  ctx.options.staging = {};
  CHECK_FALSE(staging_full_hint(ctx).has_value());
  ctx.options.staging = parse_staging("memory:64M");
  StepTimer timer("base");
  prepare_staging_tree(ctx, kMiB, timer);
  REQUIRE(ctx.staging_mount.has_value());
  CHECK(staging_full_hint(ctx) ==
        "in the staging tree in memory (limit 64.0 MiB; build with --staging disk, or a larger "
        "--staging memory:SIZE)");
  test::write_text(ctx.rootfs_dir + "/etc-file", "in memory");
  ctx.staging_mount.reset();
  // Unmounted: what remains is the empty tree on disk under it.
  CHECK(list_dir(tmp.path() + "/stage") == std::vector<std::string>{"rootfs"});
  CHECK(list_dir(ctx.rootfs_dir).empty());
}
