// The OCI and Docker media types kiln reads, and how it classifies them.
// Anything else (Docker schema 1, foreign or non-distributable layers,
// encrypted layers) is rejected as unsupported.
#pragma once

#include <string_view>

namespace kiln::airgap::media {

constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

enum class Kind { Index, Manifest, Config, Layer, Unsupported };
Kind classify(std::string_view media_type);

bool is_index(std::string_view t);
bool is_manifest(std::string_view t);
bool is_config(std::string_view t);
bool is_layer(std::string_view t);

// The Accept header a registry client sends for manifests.
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

}  // namespace kiln::airgap::media
