#include "airgap/image.hpp"

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/image_ref.hpp"
#include "airgap/media_types.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

constexpr int kMaxIndexDepth = 4;

Descriptor select_amd64(const Index& idx, const std::string& label, const std::string& digest) {
  std::vector<std::string> seen;
  const Descriptor* best = nullptr;
  for (const auto& d : idx.manifests) {
    if (!d.platform) continue;
    seen.push_back(d.platform->str());
    if (!d.platform->is_linux_amd64()) continue;
    // Prefer the baseline amd64 build over micro-architecture variants (v2, v3).
    if (best == nullptr || (!best->platform->variant.empty() && d.platform->variant.empty())) {
      best = &d;
    }
  }
  if (best == nullptr) {
    throw Error("image '" + label + "': index " + short_digest(digest) +
                    " has no linux/amd64 manifest (it has: " +
                    (seen.empty() ? std::string("none with a platform") : join(seen, ", ")) + ")",
                kExitInvalid);
  }
  return *best;
}

}  // namespace

uint64_t Image::size() const {
  uint64_t total = manifest.size + parsed.config.size;
  for (const auto& l : parsed.layers) total += l.size;
  return total;
}

void throw_digest_mismatch(const std::string& label, const std::string& digest,
                           const std::string& actual) {
  throw Error("image '" + label + "': blob " + digest + " does not match its digest (content is " +
                  actual + ")",
              kExitVerification);
}

void throw_size_mismatch(const std::string& label, const std::string& digest, uint64_t actual,
                         uint64_t declared) {
  throw Error("image '" + label + "': blob " + digest + " is " + std::to_string(actual) +
                  " bytes, its descriptor says " + std::to_string(declared),
              kExitVerification);
}

void throw_missing_blob(const std::string& label, const std::string& digest,
                        const std::string& where) {
  throw Error("image '" + label + "': blob " + digest + " is missing from '" + where + "'",
              kExitVerification);
}

void verify_blob(const std::string& label, const Descriptor& d, const std::string& actual_digest,
                 uint64_t actual_size) {
  if (actual_digest != d.digest) throw_digest_mismatch(label, d.digest, actual_digest);
  if (actual_size != d.size) throw_size_mismatch(label, d.digest, actual_size, d.size);
}

void visit_verified(const Descriptor& d, InputStream& raw, const std::string& label,
                    const BlobVisitor& visit) {
  DigestingStream digesting(raw);
  {
    LimitedStream limited(digesting, d.size);
    visit(d, limited);
  }
  digesting.drain();
  verify_blob(label, d, digesting.digest(), digesting.bytes());
}

std::optional<std::string> name_from_annotations(const std::map<std::string, std::string>& a) {
  if (auto it = a.find("io.containerd.image.name"); it != a.end()) {
    if (auto ref = try_parse_image_ref(it->second)) return ref->image_name();
  }
  if (auto it = a.find("org.opencontainers.image.ref.name"); it != a.end()) {
    const std::string& v = it->second;
    // A bare tag ("1.36", "latest") does not say which repository it tags.
    if (v.find_first_of("/:@") != std::string::npos) {
      if (auto ref = try_parse_image_ref(v)) return ref->image_name();
    }
  }
  return std::nullopt;
}

Image resolve_image(const Descriptor& top, std::vector<std::string> names, std::string label,
                    const JsonFetcher& fetch) {
  Image img;
  img.names = std::move(names);
  img.label = std::move(label);
  img.top = top;
  Descriptor current = top;
  for (int depth = 0;; ++depth) {
    std::string text = fetch(current);
    std::string where = "image '" + img.label + "' " +
                        (media::is_index(current.media_type) ? "index " : "manifest ") +
                        short_digest(current.digest);
    std::string type = document_media_type(text, where);
    if (media::is_index(type)) {
      if (depth >= kMaxIndexDepth) {
        throw Error(where + ": indexes nested deeper than " + std::to_string(kMaxIndexDepth),
                    kExitInvalid);
      }
      current = select_amd64(parse_index(text, where), img.label, current.digest);
      continue;
    }
    img.parsed = parse_manifest(text, where);
    img.manifest = current;
    img.manifest.media_type = img.parsed.media_type;
    img.manifest.platform.reset();
    img.manifest.annotations.clear();
    img.manifest_json = std::move(text);
    break;
  }
  std::string where = "image '" + img.label + "' config " + short_digest(img.parsed.config.digest);
  img.config_json = fetch(img.parsed.config);
  img.config = parse_config(img.config_json, where);
  if (!img.config.platform.is_linux_amd64()) {
    throw Error("image '" + img.label + "' is " + img.config.platform.str() + ", not linux/amd64",
                kExitInvalid);
  }
  if (img.config.diff_ids.size() != img.parsed.layers.size()) {
    throw Error(where + ": lists " + std::to_string(img.config.diff_ids.size()) + " diff_ids for " +
                    std::to_string(img.parsed.layers.size()) + " layers",
                kExitVerification);
  }
  return img;
}

}  // namespace kiln::airgap
