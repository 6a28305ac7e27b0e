// OCI image layouts on disk: oci-layout, index.json and blobs/sha256/<hex>,
// read through RootDir so a symlinked blob cannot lead outside the layout.
#include <fcntl.h>

#include <cerrno>
#include <set>

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/image_source.hpp"
#include "util/error.hpp"
#include "util/root_dir.hpp"

namespace kiln::airgap {
namespace {

class LayoutSource final : public ImageSource {
 public:
  LayoutSource(std::string path, std::string format)
      : path_(std::move(path)), root_(path_), format_(std::move(format)) {}

  void load_index() {
    auto marker = root_.read_file("oci-layout", kMaxJsonBlob);
    if (!marker) {
      throw Error("image layout '" + path_ + "': no oci-layout file (not an OCI image layout)",
                  kExitInvalid);
    }
    auto j = nlohmann::json::parse(*marker, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("imageLayoutVersion") ||
        !j["imageLayoutVersion"].is_string()) {
      throw Error("image layout '" + path_ + "': oci-layout has no imageLayoutVersion",
                  kExitVerification);
    }
    auto index = root_.read_file("index.json", kMaxJsonBlob);
    if (!index) {
      throw Error("image layout '" + path_ + "': index.json is missing", kExitVerification);
    }
    Index idx = parse_index(*index, "image layout '" + path_ + "': index.json");
    std::vector<std::pair<std::vector<std::string>, Descriptor>> tops;
    for (const auto& d : idx.manifests) {
      std::vector<std::string> names;
      if (auto n = name_from_annotations(d.annotations)) names.push_back(*n);
      tops.emplace_back(std::move(names), d);
    }
    resolve(tops);
  }

  void resolve(const std::vector<std::pair<std::vector<std::string>, Descriptor>>& tops) {
    for (size_t i = 0; i < tops.size(); ++i) {
      const auto& [names, top] = tops[i];
      std::string label = names.empty() ? unnamed_label(path_, i + 1) : names.front();
      images_.push_back(resolve_image(top, names, label, [&](const Descriptor& d) {
        UniqueFd fd = open_blob(d, label);
        FdInputStream in(std::move(fd), blob_path(d));
        DigestingStream digesting(in);
        std::string text = read_small(digesting, kMaxJsonBlob, "blob " + d.digest);
        verify_blob(label, d, digesting.digest(), digesting.bytes());
        return text;
      }));
    }
  }

  [[nodiscard]] const std::string& path() const override { return path_; }
  [[nodiscard]] std::string format() const override { return format_; }
  [[nodiscard]] const std::vector<Image>& images() const override { return images_; }

  void read_blobs(const std::vector<Descriptor>& wanted, const BlobVisitor& visit) override {
    std::set<std::string> done;
    for (const auto& d : wanted) {
      if (!done.insert(d.digest).second) continue;
      std::string label = label_of(d.digest);
      FdInputStream in(open_blob(d, label), blob_path(d));
      visit_verified(d, in, label, visit);
    }
  }

 private:
  [[nodiscard]] static std::string blob_path(const Descriptor& d) {
    return "blobs/sha256/" + digest_hex(d.digest, "blob");
  }

  [[nodiscard]] UniqueFd open_blob(const Descriptor& d, const std::string& label) const {
    try {
      return root_.open(blob_path(d), O_RDONLY);
    } catch (const Error& e) {
      if (e.err() == ENOENT) throw_missing_blob(label, d.digest, path_);
      throw;
    }
  }

  [[nodiscard]] std::string label_of(const std::string& digest) const {
    for (const auto& img : images_) {
      if (img.parsed.config.digest == digest) return img.label;
      for (const auto& l : img.parsed.layers) {
        if (l.digest == digest) return img.label;
      }
    }
    return path_;
  }

  std::string path_;
  RootDir root_;
  std::string format_;
  std::vector<Image> images_;
};

}  // namespace

std::string unnamed_label(const std::string& path, size_t n) {
  return path + "#" + std::to_string(n);
}

std::unique_ptr<ImageSource> open_layout_source(const std::string& path) {
  auto s = std::make_unique<LayoutSource>(path, "oci-layout");
  s->load_index();
  return s;
}

std::unique_ptr<ImageSource> open_blob_store_source(
    const std::string& dir,
    const std::vector<std::pair<std::vector<std::string>, Descriptor>>& tops) {
  auto s = std::make_unique<LayoutSource>(dir, "kiln-cache");
  s->resolve(tops);
  return s;
}

}  // namespace kiln::airgap
