#include "airgap/puller.hpp"

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/media_types.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace kiln::airgap {
namespace {

[[noreturn]] void offline_missing(const std::string& ref, const std::string& what) {
  throw Error("image '" + ref + "': " + what + " is not in the cache and the build is offline",
              kExitMissingInput);
}

// The top-level document: from the store when pinned and cached, else from
// the registry.
Descriptor resolve_top(RegistryClient* client, const BlobStore& store, const PullRequest& req,
                       const ImageRef& ref, const std::optional<std::string>& pin) {
  if (pin) {
    if (auto text = store.read(*pin)) {
      return {document_media_type(*text, "image '" + req.ref + "'"), *pin, text->size(), {}, {}};
    }
  }
  if (client == nullptr) {
    if (!pin) {
      throw Error("image '" + req.ref +
                      "' has no pinned digest, so an offline build cannot resolve it (pin it "
                      "with @sha256:..., a 'digest', or kiln.lock)",
                  kExitMissingInput);
    }
    offline_missing(req.ref, "manifest " + *pin);
  }
  FetchedManifest m = client->fetch_manifest(ref, pin ? *pin : ref.tag);
  store.put(m.digest, m.body);
  return {m.media_type, m.digest, m.body.size(), {}, {}};
}

}  // namespace

PulledImage pull_image(RegistryClient* client, const BlobStore& store, const PullRequest& req,
                       const std::function<void(uint64_t)>& progress) {
  PulledImage out;
  out.ref = req.ref;
  out.parsed = parse_image_ref(req.ref);
  std::optional<std::string> pin;
  if (!out.parsed.digest.empty()) pin = out.parsed.digest;
  if (req.digest) {
    if (pin && *pin != *req.digest) {
      throw Error("image '" + req.ref + "' is pinned to " + *req.digest + " but names " + *pin,
                  kExitVerification);
    }
    pin = *req.digest;
  }
  out.name = out.parsed.image_name();
  out.top = resolve_top(client, store, req, out.parsed, pin);
  if (pin && out.top.digest != *pin) {
    throw Error(
        "image '" + req.ref + "' resolved to " + out.top.digest + ", not the pinned " + *pin,
        kExitVerification);
  }
  out.image = resolve_image(out.top, {out.name}, req.ref, [&](const Descriptor& d) {
    if (auto cached = store.read(d)) return *cached;
    if (client == nullptr) offline_missing(req.ref, "blob " + d.digest);
    if (media::is_index(d.media_type) || media::is_manifest(d.media_type)) {
      FetchedManifest m = client->fetch_manifest(out.parsed, d.digest);
      if (m.body.size() != d.size) throw_size_mismatch(req.ref, d.digest, m.body.size(), d.size);
      store.put(d.digest, m.body);
      return m.body;
    }
    if (d.size > kMaxJsonBlob) {
      throw Error("image '" + req.ref + "': config " + d.digest + " is larger than 4 MiB",
                  kExitInvalid);
    }
    client->fetch_blob(out.parsed, d, store.partial_path(d.digest), store.path(d.digest), {});
    auto text = store.read(d);
    if (!text) throw_missing_blob(req.ref, d.digest, store.dir());
    return *text;
  });
  for (const auto& layer : out.image.parsed.layers) {
    if (store.has(layer.digest)) {
      if (progress) progress(layer.size);
      continue;
    }
    if (client == nullptr) offline_missing(req.ref, "layer " + layer.digest);
    client->fetch_blob(out.parsed, layer, store.partial_path(layer.digest),
                       store.path(layer.digest), progress);
  }
  return out;
}

}  // namespace kiln::airgap
