#include "airgap/pack.hpp"

#include <catch2/catch.hpp>

#include "airgap/tar_reader.hpp"
#include "airgap/zstd_frames.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::test;
using namespace kiln::airgap;

namespace {

// Two images that share a large, poorly compressible base layer.
struct SharedBase {
  TempDir tmp;
  std::string layout_a;
  std::string layout_b;
  BuiltImage a;
  BuiltImage b;
  LayerBlob base;
  SharedBase() {
    std::string noise;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 300000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      noise.push_back(static_cast<char>(x & 0xff));
    }
    base = make_layer({{TarEntry::Type::File, "usr/lib/base.bin", noise}}, Compression::Gzip);
    OciLayout la(tmp.path() + "/a");
    a = la.add_image({base, make_layer({{TarEntry::Type::File, "app", "a"}})});
    la.list(a.manifest, "example.com/app-a:1");
    la.finish();
    OciLayout lb(tmp.path() + "/b");
    b = lb.add_image({base, make_layer({{TarEntry::Type::File, "app", "b"}})});
    lb.list(b.manifest, "example.com/app-b:1");
    lb.finish();
    layout_a = la.dir();
    layout_b = lb.dir();
  }
};

std::vector<std::string> member_names(const std::string& archive) {
  std::vector<std::string> names;
  TarReader r(archive);
  while (auto m = r.next()) names.push_back(m->name);
  return names;
}

}  // namespace

TEST_CASE("pack stores shared layers once and reads back with the same digests", "[unit]") {
  SharedBase f;
  auto a = open_image_source(f.layout_a);
  auto b = open_image_source(f.layout_b);
  std::string out = f.tmp.path() + "/out/images.tar.zst";
  mkdir_p(dirname_of(out));
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  PackOptions o;
  o.progress = [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); };
  PackResult r = pack_images({a.get(), b.get()}, out, o);

  REQUIRE(r.images.size() == 2);
  CHECK(r.images[0].name == "example.com/app-a:1");
  CHECK(r.images[0].digest == f.a.manifest.digest);
  CHECK(r.images[1].digest == f.b.manifest.digest);
  CHECK(r.stored_bytes < r.image_bytes);
  CHECK(r.image_bytes - r.stored_bytes == f.base.bytes.size());
  CHECK(read_file(r.list) == "example.com/app-a:1\nexample.com/app-b:1\n");
  CHECK(r.list == f.tmp.path() + "/out/images.txt");
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back().first == progress.back().second);

  auto names = member_names(out);
  CHECK(std::count(
            names.begin(), names.end(),
            "blobs/sha256/" + f.base.diff_id.substr(0, 0) + f.a.layers[0].digest.substr(7)) == 1);
  CHECK(names.front() == "oci-layout");
  CHECK(names.back() == "index.json");

  auto back = open_image_source(out);
  CHECK(back->format() == "oci-archive");
  REQUIRE(back->images().size() == 2);
  CHECK(back->images()[0].names == std::vector<std::string>{"example.com/app-a:1"});
  CHECK(back->images()[0].manifest.digest == f.a.manifest.digest);
  CHECK(back->images()[1].manifest.digest == f.b.manifest.digest);

  ZstdFrameSummary z = scan_zstd_frames(out);
  CHECK(z.frames == 1);
  CHECK(z.max_window <= (uint64_t{1} << 25));
  CHECK(list_dir(f.tmp.path() + "/out") ==
        std::vector<std::string>{"images.tar.zst", "images.txt"});
}

TEST_CASE("a window over 2^25 is refused before anything is written", "[unit]") {
  SharedBase f;
  auto a = open_image_source(f.layout_a);
  PackOptions o;
  o.zstd.window_log = 26;
  std::string out = f.tmp.path() + "/images.tar.zst";
  try {
    pack_images({a.get()}, out, o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "zstd window log 26 exceeds 25: RKE2 rejects archives whose zstd window is over 32 MiB");
    CHECK(e.exit_code() == 2);
  }
  CHECK_FALSE(path_exists(out));
}

TEST_CASE("a corrupt layer leaves no archive and no list behind", "[unit]") {
  SharedBase f;
  std::string blob = f.layout_b + "/blobs/sha256/" + f.b.layers[1].digest.substr(7);
  std::string tampered = make_layer({{TarEntry::Type::File, "app", "tampered"}}).bytes;
  write_text(blob, tampered);
  auto a = open_image_source(f.layout_a);
  auto b = open_image_source(f.layout_b);
  std::string out_dir = f.tmp.path() + "/out";
  mkdir_p(out_dir);
  CHECK_THROWS_WITH(pack_images({a.get(), b.get()}, out_dir + "/x.tar.zst", {}),
                    "image 'example.com/app-b:1': blob " + f.b.layers[1].digest +
                        " does not match its digest (content is sha256:" + sha256_hex(tampered) +
                        ")");
  CHECK(list_dir(out_dir).empty());
}

TEST_CASE("pack refuses unnamed images, conflicting names and unknown extensions", "[unit]") {
  SharedBase f;
  OciLayout l(f.tmp.path() + "/unnamed");
  auto img = l.add_image({make_layer({{TarEntry::Type::File, "x", "x"}})});
  l.list(img.manifest, "");
  l.finish();
  auto unnamed = open_image_source(l.dir());
  CHECK_THROWS_WITH(pack_images({unnamed.get()}, f.tmp.path() + "/x.tar", {}),
                    "image '" + l.dir() +
                        "#1' has no name, so RKE2 could not refer to it (name images with "
                        "io.containerd.image.name or a full org.opencontainers.image.ref.name)");
  OciLayout c(f.tmp.path() + "/conflict");
  auto other = c.add_image({make_layer({{TarEntry::Type::File, "x", "other"}})});
  c.list(other.manifest, "example.com/app-a:1");
  c.finish();
  auto a = open_image_source(f.layout_a);
  auto conflict = open_image_source(c.dir());
  CHECK_THROWS_WITH(pack_images({a.get(), conflict.get()}, f.tmp.path() + "/x.tar", {}),
                    "image 'example.com/app-a:1' is " + f.a.manifest.digest + " in '" + f.layout_a +
                        "' but " + other.manifest.digest + " in '" + c.dir() + "'");
  CHECK_THROWS_WITH(
      pack_images({a.get()}, f.tmp.path() + "/x.tgz", {}),
      "output '" + f.tmp.path() + "/x.tgz' must end in .tar.zst (zstd) or .tar (uncompressed)");
  CHECK_FALSE(path_exists(f.tmp.path() + "/x.tar"));
}

TEST_CASE("zstd frames with windows over 2^25 are found without decompressing", "[unit]") {
  TempDir tmp;
  std::string data(3 << 20, 'k');
  // Through a pipe, so zstd cannot shrink the window to the input's size.
  auto run_zstd = [&](const std::string& flag, const std::string& out) {
    RunOptions o;
    o.stdin_data = data;
    write_text(out, run({"zstd", "-q", "-c", flag}, o).out);
  };
  run_zstd("--long=27", tmp.path() + "/big.zst");
  run_zstd("--long=25", tmp.path() + "/ok.zst");
  // Two frames: the second has the larger window.
  std::string two = read_file(tmp.path() + "/ok.zst") + read_file(tmp.path() + "/big.zst");
  write_text(tmp.path() + "/two.zst", two);
  CHECK(scan_zstd_frames(tmp.path() + "/ok.zst").max_window == (uint64_t{1} << 25));
  CHECK_NOTHROW(check_zstd_window(tmp.path() + "/ok.zst"));
  auto s = scan_zstd_frames(tmp.path() + "/two.zst");
  CHECK(s.frames == 2);
  CHECK(s.max_window == (uint64_t{1} << 27));
  CHECK_THROWS_WITH(check_zstd_window(tmp.path() + "/two.zst"),
                    "zstd '" + tmp.path() +
                        "/two.zst': a frame needs a 128.0 MiB window; RKE2 accepts at most 32.0 "
                        "MiB (recompress with a window log of 25 or less)");
  write_text(tmp.path() + "/cut.zst", two.substr(0, two.size() - 10));
  CHECK_THROWS_WITH(scan_zstd_frames(tmp.path() + "/cut.zst"),
                    "zstd '" + tmp.path() + "/cut.zst': truncated frame");
}
