// Image archives (docker-archive and oci-archive tars, plain/gzip/zstd).
// Opening one indexes it (airgap/archive_index: every member hashed, small
// JSON kept) and resolves its images from that; read_blobs() then makes a
// second pass that streams the wanted layers, verifying them again.
#include <cerrno>
#include <map>

#include <sys/stat.h>

#include "airgap/archive_index.hpp"
#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/image_ref.hpp"
#include "airgap/image_source.hpp"
#include "airgap/media_types.hpp"
#include "airgap/tar_reader.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

class ArchiveSource final : public ImageSource {
 public:
  explicit ArchiveSource(std::string path) : path_(std::move(path)) {}

  void scan() { index_ = std::make_unique<ArchiveIndex>(path_); }

  void resolve() {
    if (find("oci-layout") != nullptr) {
      format_ = "oci-archive";
      resolve_oci();
    } else if (find("manifest.json") != nullptr) {
      format_ = "docker-archive";
      resolve_docker();
    } else {
      throw Error("archive '" + path_ +
                      "': neither an OCI image layout (oci-layout, index.json) nor a "
                      "docker-archive (manifest.json)",
                  kExitInvalid);
    }
    for (const auto& img : images_) {
      labels_.emplace(img.parsed.config.digest, img.label);
      for (const auto& l : img.parsed.layers) labels_.emplace(l.digest, img.label);
    }
  }

  [[nodiscard]] const std::string& path() const override { return path_; }
  [[nodiscard]] std::string format() const override { return format_; }
  [[nodiscard]] const std::vector<Image>& images() const override { return images_; }

  void read_blobs(const std::vector<Descriptor>& wanted, const BlobVisitor& visit) override {
    // member name -> descriptor to stream from it
    std::map<std::string, Descriptor> pending;
    for (const auto& d : wanted) {
      auto name = member_of(d.digest);
      if (!name) throw_missing_blob(label_of(d.digest), d.digest, path_);
      pending.emplace(*name, d);
    }
    TarReader r(path_);
    while (!pending.empty()) {
      auto m = r.next();
      if (!m) break;
      if (m->type != TarMember::Type::File) continue;
      auto it = pending.find(m->name);
      if (it == pending.end()) continue;
      visit_verified(it->second, r.data(), label_of(it->second.digest), visit);
      pending.erase(it);
    }
    if (!pending.empty()) {
      const Descriptor& d = pending.begin()->second;
      throw_missing_blob(label_of(d.digest), d.digest, path_);
    }
  }

 private:
  [[nodiscard]] const ArchiveMember* find(const std::string& name) const {
    return index_->find(name);
  }
  [[nodiscard]] std::string canonical(const std::string& name) const {
    return index_->canonical(name);
  }

  // The regular member holding a digest, following the names images use.
  [[nodiscard]] std::optional<std::string> member_of(const std::string& digest) const {
    auto it = digest_members_.find(digest);
    if (it != digest_members_.end()) return it->second;
    return std::nullopt;
  }

  [[nodiscard]] std::string label_of(const std::string& digest) const {
    auto it = labels_.find(digest);
    return it == labels_.end() ? path_ : it->second;
  }

  std::string fetch_json(const std::string& label, const Descriptor& d, const std::string& name) {
    const ArchiveMember* m = find(name);
    if (m == nullptr) throw_missing_blob(label, d.digest, path_);
    verify_blob(label, d, m->digest, m->size);
    if (!m->json) {
      throw Error("image '" + label + "': blob " + d.digest + " is not a JSON document",
                  kExitVerification);
    }
    digest_members_.emplace(d.digest, canonical(name));
    return *m->json;
  }

  void resolve_oci() {
    const ArchiveMember* marker = find("oci-layout");
    auto j = nlohmann::json::parse(marker->json.value_or(""), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("imageLayoutVersion")) {
      throw Error("archive '" + path_ + "': oci-layout has no imageLayoutVersion",
                  kExitVerification);
    }
    const ArchiveMember* index = find("index.json");
    if (index == nullptr || !index->json) {
      throw Error("archive '" + path_ + "': index.json is missing", kExitVerification);
    }
    Index idx = parse_index(*index->json, "archive '" + path_ + "': index.json");
    for (size_t i = 0; i < idx.manifests.size(); ++i) {
      const Descriptor& top = idx.manifests[i];
      std::vector<std::string> names;
      if (auto n = name_from_annotations(top.annotations)) names.push_back(*n);
      std::string label = names.empty() ? unnamed_label(path_, i + 1) : names.front();
      Image img = resolve_image(top, names, label, [&](const Descriptor& d) {
        return fetch_json(label, d, "blobs/sha256/" + digest_hex(d.digest, "blob"));
      });
      for (const auto& l : img.parsed.layers) {
        std::string name = canonical("blobs/sha256/" + digest_hex(l.digest, "layer"));
        const ArchiveMember* m = find(name);
        if (m == nullptr) throw_missing_blob(label, l.digest, path_);
        verify_blob(label, l, m->digest, m->size);
        digest_members_.emplace(l.digest, name);
      }
      images_.push_back(std::move(img));
    }
  }

  void resolve_docker() {
    std::string where = "archive '" + path_ + "': manifest.json";
    const ArchiveMember* mf = find("manifest.json");
    auto j = nlohmann::json::parse(mf->json.value_or(""), nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      throw Error(where + ": not a JSON array", kExitVerification);
    }
    for (size_t i = 0; i < j.size(); ++i) {
      const auto& e = j[i];
      std::string at = where + ": entry " + std::to_string(i + 1);
      if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() ||
          !e.contains("Layers") || !e["Layers"].is_array()) {
        throw Error(at + " needs 'Config' (a string) and 'Layers' (an array)", kExitVerification);
      }
      std::vector<std::string> names;
      if (e.contains("RepoTags") && e["RepoTags"].is_array()) {
        for (const auto& t : e["RepoTags"]) {
          if (!t.is_string()) throw Error(at + ": 'RepoTags' must hold strings", kExitVerification);
          auto ref = try_parse_image_ref(t.get<std::string>());
          if (!ref) {
            throw Error(at + ": RepoTag '" + t.get<std::string>() + "' is not a valid reference",
                        kExitVerification);
          }
          names.push_back(ref->image_name());
        }
      }
      std::string label = names.empty() ? unnamed_label(path_, i + 1) : names.front();
      images_.push_back(resolve_docker_image(e, names, label));
    }
  }

  Image resolve_docker_image(const nlohmann::json& e, const std::vector<std::string>& names,
                             const std::string& label) {
    std::string config_name = e["Config"].get<std::string>();
    const ArchiveMember* config = find(config_name);
    if (config == nullptr || !config->json) {
      throw Error(
          "image '" + label + "': config '" + config_name + "' is missing from '" + path_ + "'",
          kExitVerification);
    }
    // Docker names configs by their digest ("<hex>.json" or blobs/sha256/<hex>).
    std::string stem = basename_stem(config_name);
    if (is_sha256_hex(stem) && "sha256:" + stem != config->digest) {
      throw_digest_mismatch(label, "sha256:" + stem, config->digest);
    }
    ImageConfig cfg =
        parse_config(*config->json, "image '" + label + "' config '" + config_name + "'");
    Manifest m;
    m.media_type = std::string(media::kOciManifest);
    m.config = {std::string(media::kOciConfig), config->digest, config->size, {}, {}};
    const auto& layers = e["Layers"];
    if (layers.size() != cfg.diff_ids.size()) {
      throw Error("image '" + label + "': manifest.json lists " + std::to_string(layers.size()) +
                      " layers, its config " + std::to_string(cfg.diff_ids.size()) + " diff_ids",
                  kExitVerification);
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!layers[i].is_string()) {
        throw Error("archive '" + path_ + "': manifest.json: 'Layers' must hold strings",
                    kExitVerification);
      }
      std::string name = layers[i].get<std::string>();
      const ArchiveMember* layer = find(name);
      if (layer == nullptr) throw_missing_blob(label, cfg.diff_ids[i], path_);
      if (layer->compressed) {
        throw Error("image '" + label + "': layer '" + name +
                        "' is compressed; docker-archive layers are plain tars",
                    kExitInvalid);
      }
      if (layer->digest != cfg.diff_ids[i])
        throw_digest_mismatch(label, cfg.diff_ids[i], layer->digest);
      m.layers.push_back({std::string(media::kOciLayer), layer->digest, layer->size, {}, {}});
      digest_members_.emplace(layer->digest, canonical(name));
    }
    std::string manifest = manifest_to_json(m);
    Descriptor top{std::string(media::kOciManifest),
                   "sha256:" + sha256_hex(manifest),
                   manifest.size(),
                   {},
                   {}};
    digest_members_.emplace(m.config.digest, canonical(config_name));
    return resolve_image(top, names, label, [&](const Descriptor& d) -> std::string {
      if (d.digest == top.digest) return manifest;
      return *config->json;
    });
  }

  static std::string basename_stem(const std::string& name) {
    std::string base = name.substr(name.find_last_of('/') + 1);
    if (base.ends_with(".json")) base.resize(base.size() - 5);
    return base;
  }

  std::string path_;
  std::string format_;
  std::unique_ptr<ArchiveIndex> index_;
  std::map<std::string, std::string> digest_members_;  // digest -> member holding it
  std::map<std::string, std::string> labels_;          // digest -> first image using it
  std::vector<Image> images_;
};

}  // namespace

std::unique_ptr<ImageSource> open_layout_source(const std::string& path);

std::unique_ptr<ImageSource> open_image_source(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Error e = Error::from_errno("open", path, errno);
    if (errno == ENOENT) e.set_exit_code(kExitMissingInput);
    throw e;
  }
  if (S_ISDIR(st.st_mode)) return open_layout_source(path);
  auto s = std::make_unique<ArchiveSource>(path);
  s->scan();
  s->resolve();
  return s;
}

}  // namespace kiln::airgap
