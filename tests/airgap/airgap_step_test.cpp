#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "airgap/image_source.hpp"
#include "builder/lock_file.hpp"
#include "builder/steps.hpp"
#include "tests/airgap/fake_registry.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr const char* kImages = "/var/lib/rancher/rke2/agent/images";

spec::AirgapImage archive_image(const std::string& path, std::optional<std::string> sha = {}) {
  spec::AirgapImage i;
  i.archive = path;
  i.sha256 = std::move(sha);
  return i;
}

spec::AirgapImage ref_image(const std::string& ref, std::optional<std::string> digest = {}) {
  spec::AirgapImage i;
  i.ref = ref;
  i.digest = std::move(digest);
  return i;
}

struct Build {
  TempDir tmp;
  spec::ImageSpec spec;
  Build() { spec.name = "airgap-test"; }
  BuildContext context(BuildOptions o = {}) {
    if (o.cache_dir.empty()) o.cache_dir = tmp.path() + "/cache";
    BuildContext ctx{spec, o, tmp.path() + "/work", tmp.path() + "/root", {}, {}, {}, {}};
    remove_tree(ctx.rootfs_dir);
    mkdir_p(ctx.rootfs_dir);
    mkdir_p(ctx.work_dir);
    return ctx;
  }
};

}  // namespace

TEST_CASE("the airgap step packs archives for RKE2 and writes the registries config", "[unit]") {
  Build b;
  // An OCI layout beside the stand-in's docker-archive workload image.
  OciLayout layout(b.tmp.path() + "/layout");
  auto img = layout.add_image({make_layer({{TarEntry::Type::File, "srv/app", "app"}})});
  layout.list(img.manifest, "registry.example.com/team/app:2.0");
  layout.finish();
  std::string workload = standin_workload_archive();
  b.spec.airgap.images = {archive_image(workload, sha256_file(workload)),
                          archive_image(layout.dir())};
  write_text(b.tmp.path() + "/password", "hunter2\n", 0600);
  write_text(b.tmp.path() + "/ca.pem", "-----BEGIN CERTIFICATE-----\n");
  spec::RegistryMirror mirror;
  mirror.registry = "docker.io";
  mirror.endpoints = {"https://mirror.local:5000"};
  mirror.rewrites = {{"^rancher/(.*)", "mirrored-rancher/$1"}};
  spec::RegistryConfig config;
  config.registry = "mirror.local:5000";
  config.username = "admin";
  config.password_file = b.tmp.path() + "/password";
  config.ca_file = b.tmp.path() + "/ca.pem";
  b.spec.airgap.mirrors = {mirror};
  b.spec.airgap.configs = {config};
  b.spec.airgap.system_default_registry = "mirror.local:5000";
  BuildContext ctx = b.context();
  run_airgap_step(ctx);

  std::string root = ctx.rootfs_dir;
  auto packed = airgap::open_image_source(root + kImages + "/kiln-airgap.tar.zst");
  REQUIRE(packed->images().size() == 2);
  CHECK(packed->images()[0].names == std::vector<std::string>{standin_workload_image()});
  CHECK(packed->images()[1].manifest.digest == img.manifest.digest);
  CHECK(read_file(root + kImages + "/kiln-airgap.txt") ==
        standin_workload_image() + "\nregistry.example.com/team/app:2.0\n");
  CHECK(ctx.resolved.at("image:registry.example.com/team/app:2.0") == img.manifest.digest);
  CHECK(ctx.resolved.count("image:" + standin_workload_image()) == 1);

  std::string reg = root + "/etc/rancher/rke2/registries.yaml";
  CHECK((lstat_path(reg)->st_mode & 0777) == 0600);
  YAML::Node y = YAML::Load(read_file(reg));
  CHECK(y["mirrors"]["docker.io"]["endpoint"][0].as<std::string>() == "https://mirror.local:5000");
  CHECK(y["mirrors"]["docker.io"]["rewrite"]["^rancher/(.*)"].as<std::string>() ==
        "mirrored-rancher/$1");
  CHECK(y["configs"]["mirror.local:5000"]["auth"]["username"].as<std::string>() == "admin");
  CHECK(y["configs"]["mirror.local:5000"]["auth"]["password"].as<std::string>() == "hunter2");
  CHECK(y["configs"]["mirror.local:5000"]["tls"]["ca_file"].as<std::string>() ==
        "/etc/rancher/rke2/certs.d/mirror.local:5000/ca.crt");
  CHECK(read_file(root + "/etc/rancher/rke2/certs.d/mirror.local:5000/ca.crt") ==
        "-----BEGIN CERTIFICATE-----\n");
  std::string sdr = root + "/etc/rancher/rke2/config.yaml.d/40-kiln-registry.yaml";
  CHECK(YAML::Load(read_file(sdr))["system-default-registry"].as<std::string>() ==
        "mirror.local:5000");
  CHECK((lstat_path(sdr)->st_mode & 0777) == 0600);
}

TEST_CASE("the airgap step pulls references, records digests, and reuses them offline", "[unit]") {
  Build b;
  OciLayout upstream(b.tmp.path() + "/upstream");
  auto img = upstream.add_image({make_layer({{TarEntry::Type::File, "bin/app", "v1"}})});
  upstream.finish();
  std::string ref;
  {
    FakeRegistry reg(upstream.dir());
    reg.tag("app:1", img.manifest.digest, img.manifest.media_type);
    ref = reg.host() + "/app:1";
    b.spec.airgap.images = {ref_image(ref)};
    BuildContext ctx = b.context();
    run_airgap_step(ctx);
    CHECK(ctx.resolved.at("image:" + ref) == img.manifest.digest);
    auto packed = airgap::open_image_source(ctx.rootfs_dir + kImages + "/kiln-airgap.tar.zst");
    CHECK(packed->images()[0].names == std::vector<std::string>{ref});
  }
  BuildOptions offline;
  offline.offline = true;
  BuildContext ctx = b.context(offline);
  Error e("");
  try {
    run_airgap_step(ctx);
  } catch (const Error& err) {
    e = err;
  }
  CHECK(std::string(e.what()) == "image '" + ref +
                                     "' has no pinned digest, so an offline build cannot resolve "
                                     "it (pin it with @sha256:..., a 'digest', or kiln.lock), "
                                     "while pulling '" +
                                     ref + "'");
  CHECK(e.exit_code() == 4);
  CHECK_FALSE(path_exists(ctx.rootfs_dir + kImages + "/kiln-airgap.tar.zst"));
  // With the digest from kiln.lock the cache is enough.
  BuildContext locked = b.context(offline);
  locked.previous_lock = LockEntries{{"image:" + ref, img.manifest.digest}};
  run_airgap_step(locked);
  CHECK(path_exists(locked.rootfs_dir + kImages + "/kiln-airgap.tar.zst"));
}

TEST_CASE("an airgap archive whose sha256 differs from the spec's pin is refused", "[unit]") {
  Build b;
  std::string workload = standin_workload_archive();
  b.spec.airgap.images = {archive_image(workload, std::string(64, 'a'))};
  BuildContext ctx = b.context();
  Error e("");
  try {
    run_airgap_step(ctx);
  } catch (const Error& err) {
    e = err;
  }
  CHECK(e.exit_code() == 3);
  CHECK(std::string(e.what()).find("sha256 mismatch for airgap image archive '" + workload + "'") ==
        0);
  CHECK_FALSE(path_exists(ctx.rootfs_dir + kImages));
}

TEST_CASE("an airgap archive's sha256 goes into kiln.lock, and --locked refuses a changed one",
          "[unit]") {
  Build b;
  b.spec.dir = b.tmp.path() + "/spec";
  const std::string archive = b.spec.dir + "/images/app.tar";
  mkdir_p(dirname_of(archive));
  copy_file(standin_workload_archive(), archive);
  const std::string sha = sha256_file(archive);
  b.spec.airgap.images = {archive_image(archive, sha)};
  BuildContext ctx = b.context();
  run_airgap_step(ctx);
  // Relative to the spec's directory, beside the image's manifest digest.
  CHECK(ctx.resolved.at("image-archive:images/app.tar") == sha);
  CHECK(ctx.resolved.count("image:" + standin_workload_image()) == 1);

  // The same archive again matches its lock; a different one (a new pin in
  // the spec) does not.
  ImageLock lock;
  lock.inputs = ctx.resolved;
  check_against_lock(ctx.resolved, {}, lock, "/s/kiln.lock", true);
  lock.inputs["image-archive:images/app.tar"] = std::string(64, 'a');
  Error e("");
  try {
    check_against_lock(ctx.resolved, {}, lock, "/s/kiln.lock", true);
  } catch (const Error& err) {
    e = err;
  }
  CHECK(std::string(e.what()) ==
        "input 'image-archive:images/app.tar' differs from the lock file '/s/kiln.lock': locked " +
            std::string(64, 'a') + ", now " + sha);
  CHECK(e.exit_code() == 3);
  // A lock written before archives were locked lacks the entry: refused too.
  lock.inputs.erase("image-archive:images/app.tar");
  CHECK_THROWS_WITH(check_against_lock(ctx.resolved, {}, lock, "/s/kiln.lock", true),
                    "input 'image-archive:images/app.tar' is not in the lock file '/s/kiln.lock'");
}
