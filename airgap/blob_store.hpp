// kiln's pull cache: a content-addressed directory laid out like an OCI
// image layout (blobs/sha256/<hex>), plus partial/ for interrupted
// downloads that the next pull resumes. Blobs are only ever added whole and
// verified; a packed image is verified again as it is read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "airgap/oci_json.hpp"

namespace kiln::airgap {

class BlobStore {
 public:
  explicit BlobStore(std::string dir);
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] bool has(const std::string& digest) const;
  [[nodiscard]] std::string path(const std::string& digest) const;
  [[nodiscard]] std::string partial_path(const std::string& digest) const;
  // Stores a small verified blob (manifest, index, config).
  void put(const std::string& digest, std::string_view bytes) const;
  // A small blob, verified against `d`; nullopt when absent. A cached copy
  // that fails verification is removed (and nullopt returned).
  [[nodiscard]] std::optional<std::string> read(const Descriptor& d) const;
  // The same for a digest whose size is not known (a pinned manifest).
  [[nodiscard]] std::optional<std::string> read(const std::string& digest) const;

 private:
  std::string dir_;
};

}  // namespace kiln::airgap
