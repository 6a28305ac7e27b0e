#include <catch2/catch.hpp>

#include "airgap/image_source.hpp"
#include "airgap/media_types.hpp"
#include "airgap/pack.hpp"
#include "airgap/puller.hpp"
#include "tests/airgap/fake_registry.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using namespace kiln::test;
using namespace kiln::airgap;

namespace {

// A layout with a two-platform image "app:1" whose amd64 manifest has two layers.
struct Upstream {
  TempDir tmp;
  OciLayout layout{tmp.path() + "/upstream"};
  BuiltImage amd;
  BuiltImage arm;
  Descriptor index;
  Upstream() {
    std::string big;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 300000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      big.push_back(static_cast<char>(x));
    }
    amd = layout.add_image({make_layer({{TarEntry::Type::File, "big", big}}),
                            make_layer({{TarEntry::Type::File, "app", "amd64"}})});
    arm = layout.add_image({make_layer({{TarEntry::Type::File, "app", "arm64"}})}, "arm64");
    index = layout.add_index({{arm, "arm64"}, {amd, "amd64"}});
    layout.finish();
  }
  std::string store_dir() const { return tmp.path() + "/store"; }
};

RegistryOptions fast_options() {
  RegistryOptions o;
  o.attempts = 3;
  o.retry_delay = std::chrono::milliseconds(10);
  o.timeout = std::chrono::seconds(5);
  return o;
}

template <typename Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error thrown");
  return Error("");
}

}  // namespace

TEST_CASE("pull resolves a tag, selects linux/amd64 and fills the store", "[unit]") {
  Upstream up;
  FakeRegistry reg(up.layout.dir());
  reg.tag("app:1", up.index.digest, up.index.media_type);
  RegistryClient client(fast_options());
  BlobStore store(up.store_dir());
  uint64_t bytes = 0;
  PulledImage p = pull_image(&client, store, {reg.host() + "/app:1", std::nullopt},
                             [&](uint64_t n) { bytes += n; });
  CHECK(p.top.digest == up.index.digest);
  CHECK(p.image.manifest.digest == up.amd.manifest.digest);
  CHECK(p.name == reg.host() + "/app:1");
  CHECK(bytes == up.amd.layers[0].size + up.amd.layers[1].size);
  for (const auto& l : up.amd.layers) CHECK(store.has(l.digest));
  CHECK_FALSE(store.has(up.arm.layers[0].digest));

  // Packed from the store, the archive holds the same manifest.
  auto src = open_blob_store_source(store.dir(), {{{p.name}, p.top}});
  std::string out = up.tmp.path() + "/pulled.tar";
  pack_images({src.get()}, out, {});
  auto back = open_image_source(out);
  REQUIRE(back->images().size() == 1);
  CHECK(back->images()[0].manifest.digest == up.amd.manifest.digest);

  // A second pull by digest needs no layer downloads.
  size_t before = reg.requests().size();
  PulledImage again = pull_image(&client, store, {reg.host() + "/app:1", up.index.digest});
  CHECK(again.image.manifest.digest == up.amd.manifest.digest);
  CHECK(reg.requests().size() == before);
}

TEST_CASE("bearer-token auth follows the challenge with basic credentials", "[unit]") {
  Upstream up;
  FakeRegistry reg(up.layout.dir(), FakeRegistry::Auth::Bearer);
  reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
  RegistryOptions o = fast_options();
  o.credentials.add(reg.host(), {reg.user, reg.password, "", ""});
  RegistryClient client(o);
  BlobStore store(up.store_dir());
  PulledImage p = pull_image(&client, store, {reg.host() + "/app:1", std::nullopt});
  CHECK(p.image.manifest.digest == up.amd.manifest.digest);
  bool saw_token_request = false;
  for (const auto& r : reg.requests()) {
    if (r.target.starts_with("/token")) {
      saw_token_request = true;
      CHECK(r.target == "/token?service=fake&scope=repository%3Aapp%3Apull");
    }
    if (r.target.starts_with("/v2/app/blobs/"))
      CHECK(r.header("authorization") == "Bearer tok-123");
  }
  CHECK(saw_token_request);
}

TEST_CASE("basic auth from a credentials file", "[unit]") {
  Upstream up;
  FakeRegistry reg(up.layout.dir(), FakeRegistry::Auth::Basic);
  reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
  std::string creds = up.tmp.path() + "/auth.json";
  // base64("kiln:s3cret")
  write_text(creds, R"({"auths": {")" + reg.host() + R"(": {"auth": "a2lsbjpzM2NyZXQ="}}})", 0600);
  RegistryOptions o = fast_options();
  o.credentials = Credentials::load(creds);
  RegistryClient client(o);
  BlobStore store(up.store_dir());
  CHECK(pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}).image.manifest.digest ==
        up.amd.manifest.digest);
}

TEST_CASE("registry failures are one-line errors naming the request", "[unit]") {
  Upstream up;
  BlobStore store(up.store_dir());

  SECTION("401 without credentials") {
    FakeRegistry reg(up.layout.dir(), FakeRegistry::Auth::Basic);
    reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
    RegistryClient client(fast_options());
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}); });
    CHECK(std::string(e.what()) ==
          "GET 'http://" + reg.host() +
              "/v2/app/manifests/1': 401 Unauthorized (no credentials for " + reg.host() + ")");
    CHECK(e.exit_code() == 1);
  }
  SECTION("401 with refused credentials") {
    FakeRegistry reg(up.layout.dir(), FakeRegistry::Auth::Bearer);
    reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
    RegistryOptions o = fast_options();
    o.credentials.add(reg.host(), {"kiln", "wrong", "", ""});
    RegistryClient client(o);
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}); });
    CHECK(std::string(e.what()) == "GET 'http://" + reg.host() +
                                       "/token': 401 Unauthorized (the credentials for " +
                                       reg.host() + " were refused)");
    CHECK(std::string(e.what()).find("wrong") == std::string::npos);
  }
  SECTION("404") {
    FakeRegistry reg(up.layout.dir());
    RegistryClient client(fast_options());
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:2", std::nullopt}); });
    CHECK(std::string(e.what()) ==
          "GET 'http://" + reg.host() + "/v2/app/manifests/2': 404 Not Found: manifest unknown");
    CHECK(e.exit_code() == 4);
  }
  SECTION("500, retried") {
    FakeRegistry reg(up.layout.dir());
    reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
    reg.hook = [](const HttpRequest& r, int) -> std::optional<HttpResponse> {
      if (r.target.find("/manifests/") != std::string::npos) return HttpResponse{500, {}, "oops"};
      return std::nullopt;
    };
    RegistryClient client(fast_options());
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}); });
    CHECK(std::string(e.what()) == "GET 'http://" + reg.host() +
                                       "/v2/app/manifests/1': 500 Internal Server Error (gave up "
                                       "after 3 attempts)");
    CHECK(reg.requests().size() == 3);
  }
  SECTION("a timeout") {
    FakeRegistry reg(up.layout.dir());
    reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
    reg.hook = [](const HttpRequest&, int) -> std::optional<HttpResponse> {
      HttpResponse r{200, {}, "{}"};
      r.delay_ms = 4000;
      return r;
    };
    RegistryOptions o = fast_options();
    o.timeout = std::chrono::seconds(1);
    o.attempts = 1;
    RegistryClient client(o);
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}); });
    CHECK(std::string(e.what()) ==
          "GET 'http://" + reg.host() + "/v2/app/manifests/1': timed out after 1 s");
  }
  SECTION("a blob whose content does not match its digest") {
    FakeRegistry reg(up.layout.dir());
    reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
    std::string target = "/v2/app/blobs/" + up.amd.layers[1].digest;
    std::string wrong(up.amd.layers[1].size, 'w');
    reg.hook = [&](const HttpRequest& r, int) -> std::optional<HttpResponse> {
      if (r.target == target) return HttpResponse{200, {}, wrong};
      return std::nullopt;
    };
    RegistryClient client(fast_options());
    Error e = error_of([&] { pull_image(&client, store, {reg.host() + "/app:1", std::nullopt}); });
    CHECK(std::string(e.what()) == "GET 'http://" + reg.host() + target +
                                       "': the blob's content is sha256:" + sha256_hex(wrong) +
                                       ", not " + up.amd.layers[1].digest);
    CHECK(e.exit_code() == 3);
    CHECK_FALSE(store.has(up.amd.layers[1].digest));
    CHECK_FALSE(path_exists(store.partial_path(up.amd.layers[1].digest)));
  }
}

TEST_CASE("500 then success, and a truncated blob resumed with Range", "[unit]") {
  Upstream up;
  FakeRegistry reg(up.layout.dir());
  reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
  std::string big = "/v2/app/blobs/" + up.amd.layers[0].digest;
  std::string layer =
      read_file(up.layout.dir() + "/blobs/sha256/" + up.amd.layers[0].digest.substr(7));
  reg.hook = [&](const HttpRequest& r, int n) -> std::optional<HttpResponse> {
    if (r.target.find("/manifests/") != std::string::npos && n == 1)
      return HttpResponse{503, {}, ""};
    if (r.target == big && n == 1) {
      HttpResponse cut{200, {{"Content-Length", std::to_string(layer.size())}}, layer};
      cut.cut_after = 1000;
      return cut;
    }
    return std::nullopt;
  };
  RegistryClient client(fast_options());
  BlobStore store(up.store_dir());
  PulledImage p = pull_image(&client, store, {reg.host() + "/app:1", std::nullopt});
  CHECK(p.image.manifest.digest == up.amd.manifest.digest);
  CHECK(sha256_file(store.path(up.amd.layers[0].digest)) == up.amd.layers[0].digest.substr(7));
  std::vector<std::string> ranges;
  for (const auto& r : reg.requests()) {
    if (r.target == big) ranges.push_back(r.header("range"));
  }
  CHECK(ranges == std::vector<std::string>{"", "bytes=1000-"});
}

TEST_CASE("blob redirects are followed without forwarding credentials", "[unit]") {
  Upstream up;
  TempDir other_dir;
  HttpServer storage([&](const HttpRequest& r) {
    std::string hex = r.target.substr(r.target.rfind('/') + 1);
    return HttpResponse{200, {}, read_file(up.layout.dir() + "/blobs/sha256/" + hex, 1 << 30)};
  });
  FakeRegistry reg(up.layout.dir(), FakeRegistry::Auth::Basic);
  reg.tag("app:1", up.amd.manifest.digest, up.amd.manifest.media_type);
  reg.hook = [&](const HttpRequest& r, int) -> std::optional<HttpResponse> {
    if (r.target.find("/blobs/") != std::string::npos && !r.header("authorization").empty()) {
      return HttpResponse{
          307,
          {{"Location", storage.url("/storage/" + r.target.substr(r.target.rfind(':') + 1))}},
          ""};
    }
    return std::nullopt;
  };
  RegistryOptions o = fast_options();
  o.credentials.add(reg.host(), {reg.user, reg.password, "", ""});
  RegistryClient client(o);
  BlobStore store(up.store_dir());
  PulledImage p = pull_image(&client, store, {reg.host() + "/app:1", std::nullopt});
  CHECK(p.image.manifest.digest == up.amd.manifest.digest);
  REQUIRE(storage.requests().size() == 3);  // config and two layers
  for (const auto& r : storage.requests()) CHECK(r.header("authorization").empty());
}

TEST_CASE("offline pulls use the cache and need a pin", "[unit]") {
  Upstream up;
  BlobStore store(up.store_dir());
  std::string ref;
  {
    FakeRegistry reg(up.layout.dir());
    reg.tag("app:1", up.index.digest, up.index.media_type);
    RegistryClient client(fast_options());
    ref = reg.host() + "/app:1";
    pull_image(&client, store, {ref, std::nullopt});
  }
  // The registry is gone; the pinned image comes from the cache alone.
  PulledImage p = pull_image(nullptr, store, {ref, up.index.digest});
  CHECK(p.image.manifest.digest == up.amd.manifest.digest);
  CHECK_THROWS_WITH(pull_image(nullptr, store, {ref, std::nullopt}),
                    "image '" + ref +
                        "' has no pinned digest, so an offline build cannot resolve it (pin it "
                        "with @sha256:..., a 'digest', or kiln.lock)");
  remove_tree(store.path(up.amd.layers[1].digest));
  Error e = error_of([&] { pull_image(nullptr, store, {ref, up.index.digest}); });
  CHECK(std::string(e.what()) == "image '" + ref + "': layer " + up.amd.layers[1].digest +
                                     " is not in the cache and the build is offline");
  CHECK(e.exit_code() == 4);
  CHECK_THROWS_WITH(pull_image(nullptr, store, {ref, up.arm.manifest.digest}),
                    "image '" + ref + "': manifest " + up.arm.manifest.digest +
                        " is not in the cache and the build is offline");
}
