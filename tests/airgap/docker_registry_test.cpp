// Against Debian's docker-registry (distribution 2.8): images made here as
// OCI layouts are pushed with skopeo, pulled back by kiln, and compared by
// digest.
#include <crypt.h>

#include <catch2/catch.hpp>

#include "airgap/image_source.hpp"
#include "airgap/pack.hpp"
#include "airgap/puller.hpp"
#include "tests/airgap/background_process.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::test;
using namespace kiln::airgap;

namespace {

class DockerRegistry {
 public:
  explicit DockerRegistry(const std::string& dir, const std::string& htpasswd = "")
      : port_(free_port()) {
    std::string config =
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        "    rootdirectory: " +
        dir + "/storage\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
    if (!htpasswd.empty()) {
      config += "auth:\n  htpasswd:\n    realm: kiln-test\n    path: " + htpasswd + "\n";
    }
    write_text(dir + "/config.yml", config);
    proc_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"docker-registry", "serve", dir + "/config.yml"},
        dir + "/registry.log");
    if (!wait_for_port(port_, 10000)) FAIL("docker-registry did not start: " + proc_->log());
  }
  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::unique_ptr<BackgroundProcess> proc_;
};

void skopeo_push(const std::string& layout, const std::string& dest,
                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"skopeo", "copy", "--quiet", "--dest-tls-verify=false"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("oci:" + layout);
  argv.push_back("docker://" + dest);
  RunOptions o;
  // skopeo wants a signature policy; the test's own accepts anything.
  TempDir home;
  write_text(home.path() + "/policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  argv.insert(argv.begin() + 2, "--policy=" + home.path() + "/policy.json");
  run(argv, o);
}

LayerBlob layer_with(const std::string& name, const std::string& content) {
  return make_layer({{TarEntry::Type::File, name, content}}, Compression::Gzip);
}

}  // namespace

TEST_CASE("images pushed to docker-registry with skopeo pull back with the same digests",
          "[unit]") {
  TempDir tmp;
  DockerRegistry reg(tmp.path() + "/registry");
  // Two images sharing a busybox base layer, each its own layout.
  LayerBlob base = layer_from_tar(busybox_layer(Compression::Gzip), Compression::Gzip);
  std::vector<BuiltImage> built;
  for (const char* app : {"one", "two"}) {
    OciLayout l(tmp.path() + "/" + app);
    built.push_back(l.add_image({base, layer_with("srv/" + std::string(app), app)}));
    l.list(built.back().manifest, "");
    l.finish();
    skopeo_push(l.dir(), reg.host() + "/kiln/" + app + ":1.0");
  }
  RegistryOptions o;
  o.attempts = 2;
  RegistryClient client(o);
  BlobStore store(tmp.path() + "/store");
  std::vector<std::pair<std::vector<std::string>, Descriptor>> tops;
  for (size_t i = 0; i < built.size(); ++i) {
    std::string ref = reg.host() + "/kiln/" + (i == 0 ? "one" : "two") + ":1.0";
    PulledImage p = pull_image(&client, store, {ref, std::nullopt});
    CHECK(p.top.digest == built[i].manifest.digest);
    CHECK(p.image.manifest.digest == built[i].manifest.digest);
    CHECK(p.image.parsed.layers[0].digest == built[i].layers[0].digest);
    tops.push_back({{p.name}, p.top});
  }
  auto src = open_blob_store_source(store.dir(), tops);
  PackResult r = pack_images({src.get()}, tmp.path() + "/out.tar.zst", {});
  CHECK(r.image_bytes - r.stored_bytes == built[0].layers[0].size);
  auto back = open_image_source(tmp.path() + "/out.tar.zst");
  REQUIRE(back->images().size() == 2);
  CHECK(back->images()[0].manifest.digest == built[0].manifest.digest);
  CHECK(back->images()[1].manifest.digest == built[1].manifest.digest);
}

TEST_CASE("docker-registry's htpasswd basic auth with a credentials file", "[unit]") {
  TempDir tmp;
  // bcrypt, the only hash distribution's htpasswd accepts.
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt) != nullptr);
  struct crypt_data data {};
  const char* hash = crypt_r("s3cret", salt, &data);
  REQUIRE(hash != nullptr);
  write_text(tmp.path() + "/htpasswd", std::string("kiln:") + hash + "\n");
  DockerRegistry reg(tmp.path() + "/registry", tmp.path() + "/htpasswd");

  OciLayout l(tmp.path() + "/layout");
  BuiltImage img = l.add_image({layer_with("x", "private")});
  l.list(img.manifest, "");
  l.finish();
  skopeo_push(l.dir(), reg.host() + "/private/app:1", {"--dest-creds=kiln:s3cret"});

  BlobStore store(tmp.path() + "/store");
  std::string ref = reg.host() + "/private/app:1";
  {
    RegistryOptions o;
    o.attempts = 1;
    RegistryClient anonymous(o);
    CHECK_THROWS_WITH(pull_image(&anonymous, store, {ref, std::nullopt}),
                      "GET 'http://" + reg.host() +
                          "/v2/private/app/manifests/1': 401 Unauthorized: authentication "
                          "required (no credentials for " +
                          reg.host() + ")");
  }
  // base64("kiln:s3cret")
  write_text(tmp.path() + "/auth.json",
             R"({"auths":{")" + reg.host() + R"(":{"auth":"a2lsbjpzM2NyZXQ="}}})", 0600);
  RegistryOptions o;
  o.credentials = Credentials::load(tmp.path() + "/auth.json");
  RegistryClient client(o);
  CHECK(pull_image(&client, store, {ref, std::nullopt}).image.manifest.digest ==
        img.manifest.digest);
}
