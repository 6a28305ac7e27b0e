#include "airgap/image_source.hpp"

#include <catch2/catch.hpp>

#include "airgap/media_types.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using namespace kiln::test;
using airgap::open_image_source;

namespace {

LayerBlob small_layer(const std::string& file, const std::string& content,
                      Compression c = Compression::Gzip) {
  return make_layer({{TarEntry::Type::File, file, content}}, c);
}

// Reads every layer through the source and returns how many bytes it saw.
uint64_t read_all_layers(airgap::ImageSource& s) {
  std::vector<airgap::Descriptor> layers;
  for (const auto& img : s.images()) {
    for (const auto& l : img.parsed.layers) layers.push_back(l);
  }
  uint64_t total = 0;
  s.read_blobs(layers, [&](const airgap::Descriptor&, airgap::InputStream& in) {
    total += airgap::pump(in, [](const char*, size_t) {});
  });
  return total;
}

}  // namespace

TEST_CASE("an OCI layout lists its named images with digests and sizes", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto base = small_layer("etc/os-release", "ID=test\n");
  auto app = small_layer("app/run", "#!/bin/sh\n");
  auto img = layout.add_image({base, app});
  layout.list(img.manifest, "registry.example.com/team/app:1.0");
  layout.finish();

  auto s = open_image_source(layout.dir());
  CHECK(s->format() == "oci-layout");
  REQUIRE(s->images().size() == 1);
  const auto& i = s->images()[0];
  CHECK(i.names == std::vector<std::string>{"registry.example.com/team/app:1.0"});
  CHECK(i.manifest.digest == img.manifest.digest);
  CHECK(i.parsed.layers.size() == 2);
  CHECK(i.size() == img.manifest.size + img.config.size + base.bytes.size() + app.bytes.size());
  CHECK(read_all_layers(*s) == base.bytes.size() + app.bytes.size());
}

TEST_CASE("linux/amd64 is selected from an image index", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto arm = layout.add_image({small_layer("a", "arm")}, "arm64");
  auto amd = layout.add_image({small_layer("a", "amd")}, "amd64");
  auto index = layout.add_index({{arm, "arm64"}, {amd, "amd64"}});
  layout.list(index, "docker.io/library/multi:1");
  layout.finish();

  auto s = open_image_source(layout.dir());
  REQUIRE(s->images().size() == 1);
  CHECK(s->images()[0].top.digest == index.digest);
  CHECK(s->images()[0].manifest.digest == amd.manifest.digest);
}

TEST_CASE("an index without linux/amd64 is an error listing what it has", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto arm = layout.add_image({small_layer("a", "arm")}, "arm64");
  auto index = layout.add_index({{arm, "arm64"}});
  layout.list(index, "docker.io/library/multi:1");
  layout.finish();
  CHECK_THROWS_WITH(open_image_source(layout.dir()),
                    "image 'docker.io/library/multi:1': index " + index.digest.substr(0, 19) +
                        " has no linux/amd64 manifest (it has: linux/arm64)");
}

TEST_CASE("oci-archives read the same, plain, gzip and zstd", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto img = layout.add_image({small_layer("x", "1"), small_layer("y", "2", Compression::Zstd)});
  layout.list(img.manifest, "busybox:1.36", false);
  layout.finish();
  for (auto c : {Compression::None, Compression::Gzip, Compression::Zstd}) {
    std::string path = tmp.path() + "/img-" + std::to_string(static_cast<int>(c)) + ".tar";
    tar_directory(layout.dir(), path, c);
    auto s = open_image_source(path);
    CHECK(s->format() == "oci-archive");
    REQUIRE(s->images().size() == 1);
    CHECK(s->images()[0].names == std::vector<std::string>{"docker.io/library/busybox:1.36"});
    CHECK(s->images()[0].manifest.digest == img.manifest.digest);
    CHECK(read_all_layers(*s) == img.layers[0].size + img.layers[1].size);
  }
}

TEST_CASE("docker-archives become OCI manifests whose layers match the diff_ids", "[unit]") {
  TempDir tmp;
  std::string base = make_tar({{TarEntry::Type::File, "etc/base", "base"}});
  std::string a = make_tar({{TarEntry::Type::File, "a", "a"}});
  std::string b = make_tar({{TarEntry::Type::File, "b", "b"}});
  std::string path = tmp.path() + "/save.tar";
  write_docker_archive(
      path, {{{"app-a:1", "example.com/app-a:latest"}, {base, a}}, {{"app-b:2"}, {base, b}}});
  auto s = open_image_source(path);
  CHECK(s->format() == "docker-archive");
  REQUIRE(s->images().size() == 2);
  const auto& i = s->images()[0];
  CHECK(i.names ==
        std::vector<std::string>{"docker.io/library/app-a:1", "example.com/app-a:latest"});
  CHECK(i.parsed.layers[0].digest == "sha256:" + sha256_hex(base));
  CHECK(i.parsed.layers[0].media_type == airgap::media::kOciLayer);
  CHECK(i.manifest.digest == "sha256:" + sha256_hex(i.manifest_json));
  CHECK(s->images()[1].parsed.layers[0].digest == i.parsed.layers[0].digest);
  // The shared base layer streams once.
  CHECK(read_all_layers(*s) == base.size() + a.size() + b.size());
}

TEST_CASE("a truncated archive is an error naming the archive and member", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto img = layout.add_image(
      {make_layer({{TarEntry::Type::File, "big", std::string(200000, 'x')}}, Compression::None)});
  layout.list(img.manifest, "x/y:1");
  layout.finish();
  std::string path = tmp.path() + "/img.tar";
  tar_directory(layout.dir(), path);
  std::string bytes = read_file(path);
  // Cut inside the layer blob (the largest member).
  std::string cut = tmp.path() + "/cut.tar";
  write_text(cut, bytes.substr(0, 100000));
  CHECK_THROWS_WITH(open_image_source(cut), "archive '" + cut +
                                                "': truncated inside member 'blobs/sha256/" +
                                                img.layers[0].digest.substr(7) + "'");
}

TEST_CASE("a blob that does not match its digest names the image and the digest", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto img = layout.add_image({small_layer("x", "original")});
  layout.list(img.manifest, "example.com/app:1");
  layout.finish();
  std::string blob = layout.dir() + "/blobs/sha256/" + img.layers[0].digest.substr(7);
  std::string tampered = small_layer("x", "tampered").bytes;
  write_text(blob, tampered);
  std::string actual = "sha256:" + sha256_hex(tampered);
  std::string want = "image 'example.com/app:1': blob " + img.layers[0].digest +
                     " does not match its digest (content is " + actual + ")";
  SECTION("in a layout, when the layer is read") {
    auto s = open_image_source(layout.dir());
    try {
      read_all_layers(*s);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == want);
      CHECK(e.exit_code() == 3);
    }
  }
  SECTION("in an archive, when it is opened") {
    tar_directory(layout.dir(), tmp.path() + "/img.tar");
    CHECK_THROWS_WITH(open_image_source(tmp.path() + "/img.tar"), want);
  }
}

TEST_CASE("a manifest that references a missing blob is an error", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto img = layout.add_image({small_layer("x", "1")});
  layout.list(img.manifest, "example.com/app:1");
  layout.finish();
  remove_tree(layout.dir() + "/blobs/sha256/" + img.layers[0].digest.substr(7));
  tar_directory(layout.dir(), tmp.path() + "/img.tar");
  CHECK_THROWS_WITH(open_image_source(tmp.path() + "/img.tar"),
                    "image 'example.com/app:1': blob " + img.layers[0].digest +
                        " is missing from '" + tmp.path() + "/img.tar'");
  auto s = open_image_source(layout.dir());
  CHECK_THROWS_WITH(read_all_layers(*s), "image 'example.com/app:1': blob " + img.layers[0].digest +
                                             " is missing from '" + layout.dir() + "'");
}

TEST_CASE("a member that climbs out of the archive is rejected", "[unit]") {
  TempDir tmp;
  std::string path = tmp.path() + "/evil.tar";
  write_tar(path, {{TarEntry::Type::File, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
                   {TarEntry::Type::File, "blobs/../../etc/passwd", "x"}});
  CHECK_THROWS_WITH(open_image_source(path),
                    "archive '" + path + "': member 'blobs/../../etc/passwd' escapes the archive");
  std::string link = tmp.path() + "/link.tar";
  write_tar(link, {{TarEntry::Type::Symlink, "manifest.json", "../../etc/passwd"}});
  CHECK_THROWS_WITH(open_image_source(link), "archive '" + link +
                                                 "': member 'manifest.json' links to "
                                                 "'../../etc/passwd', outside the archive");
}

TEST_CASE("unsupported media types are named with their field", "[unit]") {
  TempDir tmp;
  OciLayout layout(tmp.path() + "/layout");
  auto layer = layout.add_blob("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "x");
  std::string config = image_config_json({"sha256:" + sha256_hex("x")});
  auto cfg = layout.add_blob(std::string(airgap::media::kOciConfig), config);
  airgap::Manifest m;
  m.media_type = std::string(airgap::media::kOciManifest);
  m.config = cfg;
  m.layers = {layer};
  auto man = layout.add_blob(m.media_type, airgap::manifest_to_json(m));
  layout.list(man, "example.com/win:1");
  layout.finish();
  try {
    open_image_source(layout.dir());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(
        std::string(e.what()) ==
        "image 'example.com/win:1' manifest " + man.digest.substr(0, 19) +
            ": unsupported media type "
            "'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' in 'layers[0].mediaType'");
    CHECK(e.exit_code() == 2);
  }
}

TEST_CASE("a file that is no image archive says what was expected", "[unit]") {
  TempDir tmp;
  write_tar(tmp.path() + "/plain.tar", {{TarEntry::Type::File, "hello", "x"}});
  CHECK_THROWS_WITH(open_image_source(tmp.path() + "/plain.tar"),
                    "archive '" + tmp.path() +
                        "/plain.tar': neither an OCI image layout (oci-layout, index.json) nor a "
                        "docker-archive (manifest.json)");
  write_text(tmp.path() + "/junk.tar", "this is not a tar at all");
  CHECK_THROWS_WITH(
      open_image_source(tmp.path() + "/junk.tar"),
      "archive '" + tmp.path() + "/junk.tar': not a tar archive (plain, gzip or zstd)");
  CHECK_THROWS_WITH(open_image_source(tmp.path() + "/absent.tar"),
                    "open '" + tmp.path() + "/absent.tar': No such file or directory");
}
