// A container image as kiln handles it: one linux/amd64 manifest with its
// config and layers, resolved from whatever the source lists (an index or
// manifest list, or a single manifest), every document validated and every
// blob checked against its digest.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "airgap/oci_json.hpp"
#include "airgap/streams.hpp"

namespace kiln::airgap {

struct Image {
  std::vector<std::string> names;  // normalised references (image_name form)
  std::string label;               // how messages name it
  Descriptor top;                  // what the source lists: an index or a manifest
  Descriptor manifest;             // the linux/amd64 manifest
  std::string manifest_json;
  Manifest parsed;
  std::string config_json;
  ImageConfig config;
  // Manifest, config and layers, as stored.
  [[nodiscard]] uint64_t size() const;
};

// Returns the verified bytes of a small blob (index, manifest or config).
using JsonFetcher = std::function<std::string(const Descriptor& blob)>;

// Follows `top` (through nested indexes) to the linux/amd64 manifest, reads
// and validates the manifest and config. `label` names the image in errors.
Image resolve_image(const Descriptor& top, std::vector<std::string> names, std::string label,
                    const JsonFetcher& fetch);

// Errors for blobs that fail verification, worded the same everywhere.
[[noreturn]] void throw_digest_mismatch(const std::string& label, const std::string& digest,
                                        const std::string& actual);
[[noreturn]] void throw_size_mismatch(const std::string& label, const std::string& digest,
                                      uint64_t actual, uint64_t declared);
[[noreturn]] void throw_missing_blob(const std::string& label, const std::string& digest,
                                     const std::string& where);
// Checks a fully read blob against its descriptor.
void verify_blob(const std::string& label, const Descriptor& d, const std::string& actual_digest,
                 uint64_t actual_size);

// The image's name from index annotations: io.containerd.image.name, or
// org.opencontainers.image.ref.name when that holds a whole reference
// rather than a bare tag.
std::optional<std::string> name_from_annotations(const std::map<std::string, std::string>& a);

// Streams one blob to `visit`, which sees exactly the descriptor's bytes;
// afterwards the whole blob has been checked against its digest and size.
using BlobVisitor = std::function<void(const Descriptor& blob, InputStream& data)>;
void visit_verified(const Descriptor& d, InputStream& raw, const std::string& label,
                    const BlobVisitor& visit);

}  // namespace kiln::airgap
