// Strict readers for the JSON documents of OCI and Docker images: indexes
// (manifest lists), manifests, image configs and their descriptors. Every
// problem is an Error that starts with `where` (for example
// "image 'busybox:1.36' manifest sha256:...") and names the offending field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::airgap {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  [[nodiscard]] std::string str() const;  // "linux/amd64"
  [[nodiscard]] bool is_linux_amd64() const { return os == "linux" && architecture == "amd64"; }
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  uint64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
  [[nodiscard]] nlohmann::json to_json() const;
};

struct Index {
  std::vector<Descriptor> manifests;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageConfig {
  Platform platform;
  std::vector<std::string> diff_ids;
};

// The largest manifest, index or config kiln accepts.
constexpr size_t kMaxJsonBlob = 4 << 20;

// The media type a document declares, or the one its shape implies when it
// has no mediaType field (older OCI documents).
std::string document_media_type(std::string_view text, const std::string& where);

Index parse_index(std::string_view text, const std::string& where);
Manifest parse_manifest(std::string_view text, const std::string& where);
ImageConfig parse_config(std::string_view text, const std::string& where);

// Serialises a manifest the way kiln writes synthesized ones (docker-archive
// inputs): OCI media types, compact, keys sorted, so the digest is stable.
std::string manifest_to_json(const Manifest& m);

}  // namespace kiln::airgap
