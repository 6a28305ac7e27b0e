#include <catch2/catch.hpp>

#include "builder/inputs.hpp"
#include "builder/steps.hpp"
#include "tests/builder/fake_image.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/tar_builder.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using test::TarBuilder;

namespace {

spec::Binary binary(const std::string& name, const std::string& location, bool url,
                    const std::string& sha, const std::string& dest) {
  spec::Binary b;
  b.name = name;
  b.source.location = location;
  b.source.is_url = url;
  b.source.sha256 = sha;
  b.dest = dest;
  return b;
}

std::pair<std::string, int> pin_error(test::FakeBuild& b) {
  try {
    run_pin_step(b.ctx);
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"(no error)", 0};
}

}  // namespace

TEST_CASE("pins install local files and archive members with their modes", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  const std::string r = b.ctx.rootfs_dir;
  test::make_fake_image(r);
  const std::string tool = b.dir.path() + "/tool";
  test::write_text(tool, "#!/bin/sh\necho tool\n", 0600);
  const std::string tgz = b.dir.path() + "/crictl.tar.gz";
  TarBuilder().file("crictl", "crictl bytes", 0755).write(tgz, TarBuilder::Compression::Gzip);
  const std::string zip_like = b.dir.path() + "/bundle.tar.zst";
  TarBuilder()
      .file("./bundle/bin/helper", "helper", 0755)
      .write(zip_like, TarBuilder::Compression::Zstd);

  auto t = binary("tool", tool, false, sha256_file(tool), "/usr/local/bin/tool");
  t.mode = 0750;
  auto c = binary("crictl", tgz, false, sha256_file(tgz), "/usr/local/bin/crictl");
  c.member = "crictl";
  auto h = binary("helper", zip_like, false, sha256_file(zip_like), "/opt/bundle/helper");
  h.member = "bundle/bin/helper";
  b.spec.binaries = {t, c, h};
  run_pin_step(b.ctx);

  CHECK(read_file(r + "/usr/local/bin/tool") == "#!/bin/sh\necho tool\n");
  CHECK((lstat_path(r + "/usr/local/bin/tool")->st_mode & 07777) == 0750);
  CHECK(lstat_path(r + "/usr/local/bin/tool")->st_uid == 0);
  CHECK(read_file(r + "/usr/local/bin/crictl") == "crictl bytes");
  CHECK((lstat_path(r + "/usr/local/bin/crictl")->st_mode & 07777) == 0755);
  CHECK(read_file(r + "/opt/bundle/helper") == "helper");
  CHECK(b.ctx.resolved["binary:tool"] == sha256_file(tool));
  CHECK(b.ctx.resolved["binary:crictl"] == sha256_file(tgz));
}

TEST_CASE("a pin with the wrong sha256 or a missing member fails naming it", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  const std::string tool = b.dir.path() + "/tool";
  test::write_text(tool, "real\n");
  const std::string wrong(64, 'e');
  b.spec.binaries = {binary("tool", tool, false, wrong, "/usr/local/bin/tool")};
  auto [msg, code] = pin_error(b);
  CHECK(msg == "sha256 mismatch for binary 'tool' '" + tool + "': expected " + wrong + ", got " +
                   sha256_file(tool));
  CHECK(code == 3);
  CHECK_FALSE(path_exists(b.ctx.rootfs_dir + "/usr/local/bin/tool"));

  const std::string tgz = b.dir.path() + "/a.tar.gz";
  TarBuilder().file("other", "x").write(tgz, TarBuilder::Compression::Gzip);
  auto m = binary("crictl", tgz, false, sha256_file(tgz), "/usr/local/bin/crictl");
  m.member = "crictl";
  b.spec.binaries = {m};
  std::tie(msg, code) = pin_error(b);
  CHECK(msg == "binary 'crictl': member 'crictl' is not in '" + tgz + "'");
  CHECK(code == 4);
  CHECK(list_dir(b.ctx.rootfs_dir + "/usr/local/bin").empty());
}

TEST_CASE("URL pins download once into the cache and are reused offline", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  const std::string body = "downloaded binary";
  const std::string sha = sha256_hex(body);
  std::string url;
  {
    test::HttpServer server([&](const test::HttpRequest&) {
      return test::HttpResponse{200, {}, body};
    });
    url = server.url("/tool");
    b.spec.binaries = {binary("tool", url, true, sha, "/usr/local/bin/tool")};
    run_pin_step(b.ctx);
    CHECK(server.requests().size() == 1);
  }
  CHECK(read_file(download_cache_path(b.ctx.options.cache_dir, sha)) == body);
  // The server is gone: offline, the cache serves it.
  remove_tree(b.ctx.rootfs_dir + "/usr/local/bin/tool");
  b.ctx.options.offline = true;
  run_pin_step(b.ctx);
  CHECK(read_file(b.ctx.rootfs_dir + "/usr/local/bin/tool") == body);

  // Not cached and offline: a missing input, named.
  const std::string other = "https://example.invalid/other";
  b.spec.binaries = {binary("other", other, true, std::string(64, 'c'), "/usr/local/bin/other")};
  auto [msg, code] = pin_error(b);
  CHECK(msg == "binary 'other': '" + other +
                   "' is not in the download cache and --offline forbids downloading it");
  CHECK(code == 4);
}

TEST_CASE("URL pin failures carry the input's name and kiln's exit codes", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  test::HttpServer server([](const test::HttpRequest& req) {
    if (req.target == "/gone") return test::HttpResponse{404, {}, "no"};
    return test::HttpResponse{200, {}, "tampered"};
  });
  b.spec.binaries = {
      binary("gone", server.url("/gone"), true, std::string(64, 'a'), "/usr/local/bin/gone")};
  auto [msg, code] = pin_error(b);
  CHECK(msg == "download '" + server.url("/gone") +
                   "': server answered HTTP 404, while fetching binary 'gone'");
  CHECK(code == 4);

  const std::string want(64, 'b');
  b.spec.binaries = {binary("bad", server.url("/bad"), true, want, "/usr/local/bin/bad")};
  std::tie(msg, code) = pin_error(b);
  CHECK(msg == "download '" + server.url("/bad") + "': sha256 mismatch: expected " + want +
                   ", got " + sha256_hex("tampered") + ", while fetching binary 'bad'");
  CHECK(code == 3);
  CHECK_FALSE(path_exists(download_cache_path(b.ctx.options.cache_dir, want)));
  CHECK(list_dir(dirname_of(download_cache_path(b.ctx.options.cache_dir, want))).empty());
}

TEST_CASE("a corrupted download cache entry is fetched again", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  test::FakeBuild b;
  test::make_fake_image(b.ctx.rootfs_dir);
  const std::string body = "good bytes";
  const std::string sha = sha256_hex(body);
  test::write_text(download_cache_path(b.ctx.options.cache_dir, sha), "rotten");
  test::HttpServer server([&](const test::HttpRequest&) {
    return test::HttpResponse{200, {}, body};
  });
  b.spec.binaries = {binary("tool", server.url("/t"), true, sha, "/usr/local/bin/tool")};
  run_pin_step(b.ctx);
  CHECK(server.requests().size() == 1);
  CHECK(read_file(download_cache_path(b.ctx.options.cache_dir, sha)) == body);
}
