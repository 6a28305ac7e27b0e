// Partition sizing, derived UUIDs, SOURCE_DATE_EPOCH and the GPT writer.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "builder/disk_gpt.hpp"
#include "builder/partition_sizes.hpp"
#include "builder/reproducible.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;

TEST_CASE("automatic sizes are payload plus headroom, whole MiB, above a floor", "[unit]") {
  spec::Partitions p;
  spec::Size automatic;
  CHECK(choose_partition_size("partitions.root", "x", automatic, 100 * kMiB + 1, p, kMiB) ==
        101 * kMiB);
  p.headroom_percent = 25;
  CHECK(choose_partition_size("partitions.root", "x", automatic, 400 * kMiB, p, kMiB) ==
        500 * kMiB);
  CHECK(choose_partition_size("partitions.state", "x", automatic, 10 * kMiB, p, kStateMinimum) ==
        kStateMinimum);
  p.headroom_percent.reset();
  p.headroom_bytes = 512 * kMiB;
  CHECK(choose_partition_size("partitions.root", "x", automatic, 100 * kMiB, p, kMiB) ==
        612 * kMiB);
}

TEST_CASE("a fixed size is kept (rounded to MiB) or rejected when too small", "[unit]") {
  spec::Partitions p;
  p.headroom_percent = 50;
  spec::Size fixed;
  fixed.bytes = 3 * kMiB + 5;
  CHECK(choose_partition_size("partitions.root", "x", fixed, 2 * kMiB, p, 64 * kMiB) == 4 * kMiB);
  fixed.bytes = 8 * kMiB;
  try {
    (void)choose_partition_size("partitions.root", "the root file system", fixed, 9 * kMiB, p,
                                kMiB);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.message() ==
          "size 'partitions.root': 8.0 MiB is too small for the root file system (9.0 MiB); use "
          "a larger size or auto");
  }
}

TEST_CASE("ext4 and ESP estimates leave room for metadata", "[unit]") {
  CHECK(ext4_size_for(0, 0) > 4 * kMiB);
  CHECK(ext4_size_for(100 * kMiB, 1000) > 100 * kMiB + 4 * kMiB);
  // The journal mke2fs picks for a few GiB is 64 MiB.
  CHECK(ext4_size_for(2048 * kMiB, 1000) > 2048 * kMiB + 64 * kMiB);
  CHECK(esp_size_for(40 * kMiB) > 40 * kMiB + kMiB);
  CHECK(align_up(1, kMiB) == kMiB);
  CHECK(align_up(kMiB, kMiB) == kMiB);
}

TEST_CASE("derived UUIDs are stable, well-formed and differ by purpose and seed", "[unit]") {
  LockEntries lock{{"base", "abc"}};
  std::string seed = uuid_seed(std::string(64, '1'), lock);
  std::string a = derive_uuid(seed, "gpt:disk");
  CHECK(a == derive_uuid(seed, "gpt:disk"));
  CHECK_THAT(a,
             Catch::Matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  CHECK(a != derive_uuid(seed, "gpt:esp"));
  lock["overlay:x"] = "def";
  CHECK(a != derive_uuid(uuid_seed(std::string(64, '1'), lock), "gpt:disk"));
  CHECK(a != derive_uuid(uuid_seed(std::string(64, '2'), {{"base", "abc"}}), "gpt:disk"));
  CHECK_THAT(derive_volume_id(seed, "fs:esp"), Catch::Matches("[0-9a-f]{8}"));
}

TEST_CASE("SOURCE_DATE_EPOCH is honoured, defaulted, and checked", "[unit]") {
  const char* old = std::getenv("SOURCE_DATE_EPOCH");
  std::string saved = old != nullptr ? old : "";
  ::unsetenv("SOURCE_DATE_EPOCH");
  CHECK(source_date_epoch() == kDefaultSourceDateEpoch);
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  CHECK(source_date_epoch() == 1700000000);
  ::setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  try {
    (void)source_date_epoch();
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.message() == "read SOURCE_DATE_EPOCH 'yesterday': not a number of seconds since 1970");
  }
  if (old != nullptr) {
    ::setenv("SOURCE_DATE_EPOCH", saved.c_str(), 1);
  } else {
    ::unsetenv("SOURCE_DATE_EPOCH");
  }
}

TEST_CASE("clamping pins build-time mtimes and keeps older ones", "[unit]") {
  TempDir d;
  test::write_text(d.path() + "/new/file", "x");
  test::write_text(d.path() + "/old", "y");
  struct timespec old_times[2] = {{1000, 0}, {1000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (d.path() + "/old").c_str(), old_times, 0) == 0);
  REQUIRE(::symlink("new/file", (d.path() + "/link").c_str()) == 0);
  auto paths = clamp_tree_times(d.path(), 5000);
  CHECK(paths == std::vector<std::string>{"", "link", "new", "new/file", "old"});
  CHECK(lstat_path(d.path() + "/new/file")->st_mtime == 5000);
  CHECK(lstat_path(d.path() + "/new")->st_mtime == 5000);
  CHECK(lstat_path(d.path() + "/link")->st_mtime == 5000);
  CHECK(lstat_path(d.path() + "/old")->st_mtime == 1000);
  CHECK(lstat_path(d.path())->st_mtime == 5000);
}

TEST_CASE("a GPT on a plain file reads back as written, byte for byte the same", "[unit]") {
  TempDir d;
  GptTable t;
  t.disk_guid = "0D9D4C2E-7A6B-4B5C-9D1E-2F3A4B5C6D7E";
  t.entries = {
      {"esp", kGptTypeEsp, "11111111-2222-4333-8444-555555555555", 1 << 20, 8 << 20},
      {"kiln-root", kGptTypeRootX86_64, "21111111-2222-4333-8444-555555555555", 9 << 20, 16 << 20},
      {"kiln-state", kGptTypeLinuxData, "31111111-2222-4333-8444-555555555555", 25 << 20, 6 << 20}};
  std::string sums[2];
  for (int i = 0; i < 2; ++i) {
    std::string disk = d.path() + "/disk" + std::to_string(i);
    test::write_text(disk, "");
    REQUIRE(::truncate(disk.c_str(), 32 << 20) == 0);
    write_gpt(disk, t);
    sums[i] = sha256_file(disk);
    GptTable back = read_gpt(disk);
    CHECK(back.disk_guid == t.disk_guid);
    REQUIRE(back.entries.size() == 3);
    for (size_t k = 0; k < 3; ++k) {
      CHECK(back.entries[k].name == t.entries[k].name);
      CHECK(back.entries[k].type_guid == t.entries[k].type_guid);
      CHECK(back.entries[k].uuid == t.entries[k].uuid);
      CHECK(back.entries[k].start == t.entries[k].start);
      CHECK(back.entries[k].size == t.entries[k].size);
    }
  }
  CHECK(sums[0] == sums[1]);
}

TEST_CASE("a partition that does not fit the disk is an error naming it", "[unit]") {
  TempDir d;
  std::string disk = d.path() + "/disk";
  test::write_text(disk, "");
  REQUIRE(::truncate(disk.c_str(), 4 << 20) == 0);
  GptTable t;
  t.disk_guid = "0D9D4C2E-7A6B-4B5C-9D1E-2F3A4B5C6D7E";
  t.entries = {
      {"kiln-root", kGptTypeRootX86_64, "21111111-2222-4333-8444-555555555555", 1 << 20, 16 << 20}};
  CHECK_THROWS_WITH(write_gpt(disk, t),
                    Catch::StartsWith("add partition 'kiln-root' to '" + disk + "'"));
}
