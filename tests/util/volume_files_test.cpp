// Reading FAT and ISO 9660 volumes without mounting them: images made by
// mkfs.vfat + mtools and by xorriso, and damaged ones.
#include "util/volume_files.hpp"

#include <cerrno>

#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fat_volume.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

// A tree with long names, 8.3 names in both cases, a nested directory, an
// empty file and a file of many clusters.
std::string make_tree(const std::string& dir) {
  test::write_text(dir + "/user-data", "#cloud-config\nhostname: fat\n");
  test::write_text(dir + "/META", "upper\n");
  test::write_text(dir + "/empty", "");
  std::string big;
  for (int i = 0; i < 40000; ++i) big += std::to_string(i * 7919) + "\n";
  test::write_text(dir + "/openstack/latest/meta_data.json", big);
  test::write_text(dir + "/a rather long file name.yaml", "long\n");
  return big;
}

std::string make_fat(const std::string& tmp, const std::string& tree, int bits) {
  const std::string img = tmp + "/fat" + std::to_string(bits) + ".img";
  const std::string size_kib = bits == 32 ? "40960" : (bits == 16 ? "16384" : "2048");
  run({"mkfs.vfat", "-F", std::to_string(bits), "-n", "CIDATA", "-C", img, size_kib});
  run({"mcopy", "-s", "-i", img, tree + "/user-data", tree + "/META", tree + "/empty",
       tree + "/openstack", tree + "/a rather long file name.yaml", "::"});
  return img;
}

uint16_t le16_at(const std::string& img, size_t off) {
  std::string b = read_file(img).substr(off, 2);
  return static_cast<uint16_t>(static_cast<uint8_t>(b[0]) | (static_cast<uint8_t>(b[1]) << 8));
}

void patch(const std::string& img, size_t off, const std::string& bytes) {
  std::string data = read_file(img);
  data.replace(off, bytes.size(), bytes);
  test::write_text(img, data);
}

}  // namespace

TEST_CASE("FAT12, FAT16 and FAT32 volumes are read without mounting them", "[unit]") {
  TempDir tmp;
  const std::string big = make_tree(tmp.path() + "/tree");
  for (int bits : {12, 16, 32}) {
    INFO("FAT" << bits);
    FatVolume v(make_fat(tmp.path(), tmp.path() + "/tree", bits));
    CHECK(v.fat_bits() == bits);
    CHECK(v.read("user-data", 1024) == "#cloud-config\nhostname: fat\n");
    CHECK(v.read("USER-DATA", 1024) == "#cloud-config\nhostname: fat\n");
    CHECK(v.read("meta", 1024) == "upper\n");
    CHECK(v.read("empty", 1024) == "");
    CHECK(v.read("A Rather Long File Name.yaml", 1024) == "long\n");
    CHECK(v.read("openstack/latest/meta_data.json", 1 << 20) == big);
    CHECK(v.read("/openstack//latest/./meta_data.json", 1 << 20) == big);
    CHECK(v.exists("openstack/latest"));
    CHECK(v.exists(""));
    CHECK_FALSE(v.read("openstack", 1024));  // a directory
    CHECK_FALSE(v.read("network-config", 1024));
    CHECK_FALSE(v.read("user-data/x", 1024));
    CHECK_FALSE(v.exists("openstack/latest/user_data"));
    try {
      (void)v.read("openstack/latest/meta_data.json", 1000);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.err() == EFBIG);
      CHECK(std::string(e.what()) == "read '" + tmp.path() + "/fat" + std::to_string(bits) +
                                         ".img:openstack/latest/meta_data.json': file is larger "
                                         "than 1000 B");
    }
  }
}

TEST_CASE("a damaged FAT volume is an error that names it, never a crash or a loop", "[unit]") {
  TempDir tmp;
  make_tree(tmp.path() + "/tree");
  const std::string img = make_fat(tmp.path(), tmp.path() + "/tree", 16);
  const std::string prefix = "read FAT file system '" + img + "': ";
  const size_t fat = size_t{le16_at(img, 14)} * le16_at(img, 11);

  SECTION("a file's chain that points back into itself") {
    // A volume with the big file alone: its chain is 2 -> 3 -> 4 ...
    const std::string one = tmp.path() + "/one.img";
    run({"mkfs.vfat", "-F", "16", "-C", one, "16384"});
    run({"mcopy", "-i", one, tmp.path() + "/tree/openstack/latest/meta_data.json", "::big"});
    REQUIRE(FatVolume(one).read("big", 1 << 20));
    const size_t one_fat = size_t{le16_at(one, 14)} * le16_at(one, 11);
    patch(one, one_fat + 3 * 2, std::string("\x02\x00", 2));  // 3 -> 2
    CHECK_THROWS_WITH(FatVolume(one).read("big", 1 << 20),
                      "read FAT file system '" + one + "': a cluster chain loops");
  }
  SECTION("a free cluster in the middle of a chain") {
    FatVolume before(img);
    REQUIRE(before.read("openstack/latest/meta_data.json", 1 << 20));
    // Zero the whole FAT after the reserved entries: every chain breaks.
    std::string zeros(512, '\0');
    patch(img, fat + 2 * 2, zeros);
    CHECK_THROWS_WITH(FatVolume(img).read("openstack/latest/meta_data.json", 1 << 20),
                      prefix + "cluster 0 is outside the volume");
  }
  SECTION("no boot sector signature") {
    patch(img, 510, std::string("\0\0", 2));
    CHECK_THROWS_WITH(FatVolume(img), prefix + "no boot sector signature");
  }
  SECTION("a bad sector size") {
    patch(img, 11, std::string("\x03\x02", 2));
    CHECK_THROWS_WITH(FatVolume(img), prefix + "bad sector size 515");
  }
  SECTION("cut short") {
    run({"truncate", "-s", "64K", img});
    FatVolume v(img);
    CHECK_THROWS_WITH(v.read("openstack/latest/meta_data.json", 1 << 20),
                      Catch::Matchers::StartsWith(prefix + "it ends at byte ") &&
                          Catch::Matchers::EndsWith(", inside the file system"));
  }
  SECTION("not a file system at all") {
    const std::string text = tmp.path() + "/text";
    test::write_text(text, std::string(4096, 'x'));
    CHECK_THROWS_WITH(FatVolume(text),
                      "read FAT file system '" + text + "': no boot sector signature");
    CHECK_THROWS_WITH(FatVolume(tmp.path() + "/missing"),
                      "open '" + tmp.path() + "/missing': No such file or directory");
  }
}

TEST_CASE("a FAT directory whose chain loops is an error", "[unit]") {
  TempDir tmp;
  make_tree(tmp.path() + "/tree");
  const std::string img = make_fat(tmp.path(), tmp.path() + "/tree", 32);
  const size_t fat = size_t{le16_at(img, 14)} * le16_at(img, 11);
  // FAT32's root directory is cluster 2 (mkfs.vfat's default): make it its
  // own successor.
  patch(img, fat + 2 * 4, std::string("\x02\x00\x00\x00", 4));
  CHECK_THROWS_WITH(FatVolume(img).read("user-data", 1024),
                    "read FAT file system '" + img + "': a cluster chain loops");
}

TEST_CASE("ISO 9660 volumes are read without mounting them", "[unit]") {
  TempDir tmp;
  const std::string big = make_tree(tmp.path() + "/tree");
  const std::string iso = tmp.path() + "/seed.iso";
  run({"xorriso", "-as", "mkisofs", "-quiet", "-V", "CIDATA", "-J", "-R", "-o", iso,
       tmp.path() + "/tree"});
  auto files = open_volume_files(iso, "iso9660");
  CHECK(files->read("user-data", 1024) == "#cloud-config\nhostname: fat\n");
  CHECK(files->read("openstack/latest/meta_data.json", 1 << 20) == big);
  CHECK(files->read("a rather long file name.yaml", 1024) == "long\n");
  CHECK(files->read("empty", 1024) == "");
  CHECK(files->exists("openstack/latest"));
  CHECK_FALSE(files->read("openstack", 1024));
  CHECK_FALSE(files->read("network-config", 1024));
  CHECK_THROWS_WITH(
      files->read("openstack/latest/meta_data.json", 1000),
      "read '" + iso + ":openstack/latest/meta_data.json': file is larger than 1000 B");

  auto fat = open_volume_files(make_fat(tmp.path(), tmp.path() + "/tree", 12), "vfat");
  CHECK(fat->read("openstack/latest/meta_data.json", 1 << 20) == big);

  CHECK_THROWS_WITH(open_volume_files(iso, "ext4"),
                    "read '" + iso +
                        "': cannot read a ext4 file system without mounting it (only vfat and "
                        "iso9660)");
  const std::string text = tmp.path() + "/text";
  test::write_text(text, std::string(65536, 'x'));
  CHECK_THROWS_WITH(open_volume_files(text, "iso9660"),
                    Catch::Matchers::StartsWith("read ISO 9660 file system '" + text + "': "));
}
