// Where images come from: an OCI image layout (a directory, or kiln's pull
// cache), or a tar archive — docker-archive (`docker save`) or oci-archive —
// plain or compressed with gzip or zstd. A source lists its resolved,
// validated images and streams their layer blobs, verified, on request.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "airgap/image.hpp"

namespace kiln::airgap {

class ImageSource {
 public:
  ImageSource() = default;
  ImageSource(const ImageSource&) = delete;
  ImageSource& operator=(const ImageSource&) = delete;
  virtual ~ImageSource() = default;

  [[nodiscard]] virtual const std::string& path() const = 0;
  // "oci-layout", "oci-archive", "docker-archive".
  [[nodiscard]] virtual std::string format() const = 0;
  [[nodiscard]] virtual const std::vector<Image>& images() const = 0;
  // Streams each blob in `wanted` once, in whatever order the source reads
  // best (archive order for tars). Each is verified against its digest.
  virtual void read_blobs(const std::vector<Descriptor>& wanted, const BlobVisitor& visit) = 0;
};

// Opens a directory as an OCI layout, or a file as an archive. Every image
// in it is resolved and its documents are checked; layers are checked when
// read_blobs streams them (archives have every member hashed on open).
std::unique_ptr<ImageSource> open_image_source(const std::string& path);

// An OCI layout whose images are given explicitly (kiln's pull cache):
// each pair is (names, top descriptor).
std::unique_ptr<ImageSource> open_blob_store_source(
    const std::string& dir,
    const std::vector<std::pair<std::vector<std::string>, Descriptor>>& tops);

// The label of image number `n` (1-based) in `path` when it has no name.
std::string unnamed_label(const std::string& path, size_t n);

}  // namespace kiln::airgap
