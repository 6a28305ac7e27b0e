// Packs images from any number of sources into one oci-archive that RKE2
// imports from /var/lib/rancher/rke2/agent/images, plus the image list
// (.txt, one name per line) beside it. Shared blobs are stored once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "airgap/image_source.hpp"
#include "airgap/zstd_writer.hpp"

namespace kiln::airgap {

struct PackOptions {
  ZstdOptions zstd;
  // Called as layer bytes are written: (done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct PackedImage {
  std::string name;
  std::string digest;  // the manifest's
  uint64_t size = 0;
  std::string source;
};

struct PackResult {
  std::vector<PackedImage> images;
  uint64_t image_bytes = 0;   // sum of every image's size, shared layers counted each time
  uint64_t stored_bytes = 0;  // blobs written, each once
  uint64_t output_bytes = 0;  // the archive file
  std::string archive;
  std::string list;  // the image list beside it
};

// "dir/x.tar.zst" -> "dir/x.txt"
std::string image_list_path(const std::string& archive);

// Every image of every source. Unnamed images and one name with two
// different digests are errors; nothing is left at `output` on failure.
PackResult pack_images(const std::vector<ImageSource*>& sources, const std::string& output,
                       const PackOptions& options);

}  // namespace kiln::airgap
