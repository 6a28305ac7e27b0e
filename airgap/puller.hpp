// Pulling images into kiln's blob store: the reference is resolved to a
// digest (or the pinned digest is used), the linux/amd64 manifest is
// selected, and every blob the image needs that the store lacks is
// downloaded and verified. Offline, only the store is used and a pin is
// required; anything missing is an error naming the image.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "airgap/blob_store.hpp"
#include "airgap/image.hpp"
#include "airgap/image_ref.hpp"
#include "airgap/registry_client.hpp"

namespace kiln::airgap {

struct PullRequest {
  std::string ref;                    // as the user wrote it
  std::optional<std::string> digest;  // a pin from the spec or kiln.lock
};

struct PulledImage {
  std::string ref;  // as the user wrote it
  ImageRef parsed;
  std::string name;  // how it is named in the archive (containerd's image name)
  Descriptor top;    // what the reference resolved to (index or manifest)
  Image image;       // the resolved linux/amd64 image
};

// `client` is null when offline. `progress` gets layer bytes as they arrive.
PulledImage pull_image(RegistryClient* client, const BlobStore& store, const PullRequest& request,
                       const std::function<void(uint64_t)>& progress = {});

}  // namespace kiln::airgap
