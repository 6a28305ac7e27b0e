#include "airgap/media_types.hpp"

namespace kiln::airgap::media {

bool is_index(std::string_view t) {
  return t == kOciIndex || t == kDockerManifestList;
}
bool is_manifest(std::string_view t) {
  return t == kOciManifest || t == kDockerManifest;
}
bool is_config(std::string_view t) {
  return t == kOciConfig || t == kDockerConfig;
}
bool is_layer(std::string_view t) {
  return t == kOciLayer || t == kOciLayerGzip || t == kOciLayerZstd || t == kDockerLayerGzip;
}

Kind classify(std::string_view t) {
  if (is_index(t)) return Kind::Index;
  if (is_manifest(t)) return Kind::Manifest;
  if (is_config(t)) return Kind::Config;
  if (is_layer(t)) return Kind::Layer;
  return Kind::Unsupported;
}

}  // namespace kiln::airgap::media
