// The airgap step: the spec's extra container images (registry references,
// pulled into the cache or taken from it when offline; local archive files,
// sha256-pinned; OCI layouts, whose blobs are checked against their
// digests) packed into one oci-archive that RKE2 imports at start, plus the
// registries configuration.
//
//   /var/lib/rancher/rke2/agent/images/kiln-airgap.tar.zst   (+ kiln-airgap.txt)
//   /etc/rancher/rke2/registries.yaml                        (0600: it may hold secrets)
//   /etc/rancher/rke2/certs.d/<registry>/{ca.crt,client.crt,client.key}
//   /etc/rancher/rke2/config.yaml.d/40-kiln-registry.yaml    (system-default-registry)
//
// Lock entries: "image:REF" -> the digest REF resolved to; for images from
// archives "image:NAME" -> the manifest digest, and for an archive file
// "image-archive:PATH" -> its sha256 (an OCI layout has no single digest:
// its blobs are checked against theirs).
#include <cstdlib>
#include <memory>

#include "airgap/blob_store.hpp"
#include "airgap/credentials.hpp"
#include "airgap/image_source.hpp"
#include "airgap/pack.hpp"
#include "airgap/puller.hpp"
#include "airgap/registries_yaml.hpp"
#include "airgap/rke2_install.hpp"
#include "builder/inputs.hpp"
#include "builder/steps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr const char* kArchiveName = "kiln-airgap.tar.zst";
constexpr const char* kRegistriesYaml = "/etc/rancher/rke2/registries.yaml";
constexpr const char* kCertsDir = "/etc/rancher/rke2/certs.d";
constexpr const char* kDefaultRegistryDropIn =
    "/etc/rancher/rke2/config.yaml.d/40-kiln-registry.yaml";

// A secret from a file: its content without the trailing newline.
std::string read_secret(const std::string& path, const std::string& what) {
  std::string s;
  try {
    s = read_file(path, 64 << 10);
  } catch (Error& e) {
    if (e.err() == ENOENT) e.set_exit_code(kExitMissingInput);
    throw;
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) throw Error(what + " '" + path + "' is empty", kExitInvalid);
  return s;
}

// "image-archive:PATH", PATH relative to the spec's directory when it is
// inside it, so that a lock stays valid wherever the checkout is.
std::string archive_lock_key(const spec::ImageSpec& spec, const std::string& archive) {
  std::string prefix = spec.dir + "/";
  bool inside = !spec.dir.empty() && archive.starts_with(prefix);
  return "image-archive:" + (inside ? archive.substr(prefix.size()) : archive);
}

airgap::RegistryOptions registry_options(const spec::Airgap& a) {
  airgap::RegistryOptions o;
  // The containers-auth convention (skopeo, podman) for a credentials file.
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE"); file != nullptr && *file != '\0') {
    o.credentials = airgap::Credentials::load(file);
  }
  for (const auto& c : a.configs) {
    if (c.registry == "*") continue;
    airgap::RegistryAuth auth;
    if (c.username) auth.username = *c.username;
    if (c.password_file) auth.password = read_secret(*c.password_file, "password_file");
    if (c.token_file) auth.identity_token = read_secret(*c.token_file, "token_file");
    if (!auth.username.empty() || !auth.identity_token.empty()) o.credentials.add(c.registry, auth);
    airgap::RegistryTls tls;
    tls.ca_file = c.ca_file.value_or("");
    tls.cert_file = c.cert_file.value_or("");
    tls.key_file = c.key_file.value_or("");
    tls.insecure_skip_verify = c.insecure_skip_verify;
    o.tls[c.registry] = tls;
  }
  return o;
}

void pack_images_step(BuildContext& ctx, StepTimer& timer) {
  const spec::Airgap& a = ctx.spec.airgap;
  std::string cache = ctx.options.cache_dir.empty() ? default_cache_dir() : ctx.options.cache_dir;
  airgap::BlobStore store(cache + "/airgap");
  std::unique_ptr<airgap::RegistryClient> client;
  std::vector<std::unique_ptr<airgap::ImageSource>> sources;
  std::vector<std::pair<std::vector<std::string>, airgap::Descriptor>> pulled;
  for (const auto& img : a.images) {
    if (img.ref) {
      std::optional<std::string> pin = img.digest;
      std::string key = "image:" + *img.ref;
      if (!pin && ctx.previous_lock) {
        if (auto it = ctx.previous_lock->find(key); it != ctx.previous_lock->end())
          pin = it->second;
      }
      if (!client && !ctx.options.offline) {
        client = std::make_unique<airgap::RegistryClient>(registry_options(a));
      }
      airgap::PulledImage p = with_context("while pulling '" + *img.ref + "'", [&] {
        return airgap::pull_image(client.get(), store, {*img.ref, pin});
      });
      ctx.resolved[key] = p.top.digest;
      pulled.push_back({{p.name}, p.top});
      continue;
    }
    std::string path = *img.archive;
    if (img.sha256) {
      path = fetch_pinned(ctx, {*img.archive, false, *img.sha256}, "airgap image archive");
      ctx.resolved[archive_lock_key(ctx.spec, *img.archive)] = *img.sha256;
    }
    auto source = airgap::open_image_source(path);
    for (const auto& i : source->images()) {
      for (const auto& n : i.names) ctx.resolved["image:" + n] = i.manifest.digest;
    }
    sources.push_back(std::move(source));
  }
  std::vector<airgap::ImageSource*> all;
  std::unique_ptr<airgap::ImageSource> from_store;
  if (!pulled.empty()) {
    from_store = airgap::open_blob_store_source(store.dir(), pulled);
    all.push_back(from_store.get());
  }
  for (const auto& s : sources) all.push_back(s.get());

  RootDir root(ctx.rootfs_dir);
  root.mkdirs(airgap::kRke2ImagesDir);
  std::string out = root.resolve(std::string(airgap::kRke2ImagesDir) + "/" + kArchiveName);
  airgap::PackOptions o;
  o.progress = [&](uint64_t done, uint64_t total) { timer.progress(done, total); };
  airgap::PackResult r = airgap::pack_images(all, out, o);
  timer.add_field("images", r.images.size());
  timer.add_field("archive", human_bytes(r.output_bytes));
}

// Copies a TLS file from the build host into the image; returns its path there.
std::string install_tls_file(const RootDir& root, const std::string& registry,
                             const std::optional<std::string>& from, const char* name,
                             mode_t mode) {
  if (!from) return "";
  std::string to = std::string(kCertsDir) + "/" + registry + "/" + name;
  root.mkdirs(dirname_of(to), 0755);
  root.write_file(to, read_file(*from, 1 << 20), mode);
  return to;
}

void write_registries(BuildContext& ctx) {
  const spec::Airgap& a = ctx.spec.airgap;
  RootDir root(ctx.rootfs_dir);
  std::vector<airgap::RegistryMirrorConfig> mirrors;
  for (const auto& m : a.mirrors) mirrors.push_back({m.registry, m.endpoints, m.rewrites});
  std::vector<airgap::RegistryHostConfig> configs;
  for (const auto& c : a.configs) {
    airgap::RegistryHostConfig h;
    h.registry = c.registry;
    h.username = c.username.value_or("");
    if (c.password_file) h.password = read_secret(*c.password_file, "password_file");
    if (c.token_file) h.identity_token = read_secret(*c.token_file, "token_file");
    std::string dir = c.registry == "*" ? "default" : c.registry;
    h.ca_file = install_tls_file(root, dir, c.ca_file, "ca.crt", 0644);
    h.cert_file = install_tls_file(root, dir, c.cert_file, "client.crt", 0644);
    h.key_file = install_tls_file(root, dir, c.key_file, "client.key", 0600);
    h.insecure_skip_verify = c.insecure_skip_verify;
    configs.push_back(std::move(h));
  }
  root.mkdirs(dirname_of(kRegistriesYaml), 0755);
  root.write_file(kRegistriesYaml, airgap::render_registries_yaml(mirrors, configs), 0600);
}

}  // namespace

void run_airgap_step(BuildContext& ctx) {
  StepTimer timer("airgap");
  const spec::Airgap& a = ctx.spec.airgap;
  if (!a.images.empty()) pack_images_step(ctx, timer);
  if (!a.mirrors.empty() || !a.configs.empty()) {
    write_registries(ctx);
    timer.add_field("registries", a.mirrors.size() + a.configs.size());
  }
  if (a.system_default_registry) {
    RootDir root(ctx.rootfs_dir);
    root.mkdirs(dirname_of(kDefaultRegistryDropIn), 0755);
    root.write_file(kDefaultRegistryDropIn,
                    airgap::render_system_default_registry(*a.system_default_registry), 0600);
  }
  timer.finish();
}

}  // namespace kiln
