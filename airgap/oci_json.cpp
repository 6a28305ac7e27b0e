#include "airgap/oci_json.hpp"

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/media_types.hpp"
#include "util/error.hpp"

namespace kiln::airgap {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& where, const std::string& why) {
  throw Error(where + ": " + why, kExitVerification);
}

[[noreturn]] void unsupported(const std::string& where, std::string_view field,
                              std::string_view type) {
  throw Error(where + ": unsupported media type '" + std::string(type) + "' in '" +
                  std::string(field) + "'",
              kExitInvalid);
}

json parse_object(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) invalid(where, "not valid JSON");
  if (!j.is_object()) invalid(where, "not a JSON object");
  return j;
}

std::string string_field(const json& j, const std::string& key, const std::string& field,
                         const std::string& where, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) invalid(where, "'" + field + "' is missing");
    return "";
  }
  if (!it->is_string()) invalid(where, "'" + field + "' must be a string");
  return it->get<std::string>();
}

void check_schema_version(const json& j, const std::string& where) {
  auto it = j.find("schemaVersion");
  if (it == j.end()) invalid(where, "'schemaVersion' is missing");
  if (!it->is_number_integer() || it->get<long long>() != 2) {
    invalid(where, "'schemaVersion' must be 2, got " + it->dump());
  }
}

Platform read_platform(const json& j, const std::string& field, const std::string& where) {
  if (!j.is_object()) invalid(where, "'" + field + "' must be an object");
  Platform p;
  p.os = string_field(j, "os", field + ".os", where);
  p.architecture = string_field(j, "architecture", field + ".architecture", where);
  p.variant = string_field(j, "variant", field + ".variant", where, false);
  return p;
}

Descriptor read_descriptor(const json& j, const std::string& field, const std::string& where) {
  if (!j.is_object()) invalid(where, "'" + field + "' must be an object");
  Descriptor d;
  d.media_type = string_field(j, "mediaType", field + ".mediaType", where);
  d.digest = string_field(j, "digest", field + ".digest", where);
  if (!is_digest(d.digest)) {
    invalid(where, "'" + field + ".digest' is not a sha256 digest: '" + d.digest + "'");
  }
  auto size = j.find("size");
  if (size == j.end()) invalid(where, "'" + field + ".size' is missing");
  if (!size->is_number_unsigned() && !(size->is_number_integer() && size->get<long long>() >= 0)) {
    invalid(where, "'" + field + ".size' must be a non-negative integer");
  }
  d.size = size->get<uint64_t>();
  if (auto p = j.find("platform"); p != j.end())
    d.platform = read_platform(*p, field + ".platform", where);
  if (auto a = j.find("annotations"); a != j.end()) {
    if (!a->is_object()) invalid(where, "'" + field + ".annotations' must be an object");
    for (const auto& [k, v] : a->items()) {
      if (!v.is_string()) invalid(where, "'" + field + ".annotations." + k + "' must be a string");
      d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

const json& array_field(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) invalid(where, "'" + key + "' is missing");
  if (!it->is_array()) invalid(where, "'" + key + "' must be an array");
  return *it;
}

}  // namespace

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

nlohmann::json Descriptor::to_json() const {
  json j = {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (platform) {
    json p = {{"os", platform->os}, {"architecture", platform->architecture}};
    if (!platform->variant.empty()) p["variant"] = platform->variant;
    j["platform"] = p;
  }
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

std::string document_media_type(std::string_view text, const std::string& where) {
  json j = parse_object(text, where);
  std::string type = string_field(j, "mediaType", "mediaType", where, false);
  if (!type.empty()) return type;
  if (j.contains("manifests")) return std::string(media::kOciIndex);
  if (j.contains("config") && j.contains("layers")) return std::string(media::kOciManifest);
  // Docker schema 1 manifests carry "fsLayers" and no mediaType.
  if (j.contains("fsLayers")) {
    return "application/vnd.docker.distribution.manifest.v1+json";
  }
  invalid(where, "neither an image index nor an image manifest");
}

Index parse_index(std::string_view text, const std::string& where) {
  json j = parse_object(text, where);
  check_schema_version(j, where);
  std::string type = string_field(j, "mediaType", "mediaType", where, false);
  if (!type.empty() && !media::is_index(type)) unsupported(where, "mediaType", type);
  const json& list = array_field(j, "manifests", where);
  Index idx;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string field = "manifests[" + std::to_string(i) + "]";
    Descriptor d = read_descriptor(list[i], field, where);
    if (!media::is_index(d.media_type) && !media::is_manifest(d.media_type)) {
      unsupported(where, field + ".mediaType", d.media_type);
    }
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

Manifest parse_manifest(std::string_view text, const std::string& where) {
  json j = parse_object(text, where);
  std::string type = string_field(j, "mediaType", "mediaType", where, false);
  if (type.empty() && j.contains("fsLayers")) {
    unsupported(where, "mediaType", "application/vnd.docker.distribution.manifest.v1+json");
  }
  if (!type.empty() && !media::is_manifest(type)) unsupported(where, "mediaType", type);
  check_schema_version(j, where);
  Manifest m;
  m.media_type = type.empty() ? std::string(media::kOciManifest) : type;
  auto cfg = j.find("config");
  if (cfg == j.end()) invalid(where, "'config' is missing");
  m.config = read_descriptor(*cfg, "config", where);
  if (!media::is_config(m.config.media_type)) {
    unsupported(where, "config.mediaType", m.config.media_type);
  }
  const json& layers = array_field(j, "layers", where);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string field = "layers[" + std::to_string(i) + "]";
    Descriptor d = read_descriptor(layers[i], field, where);
    if (!media::is_layer(d.media_type)) unsupported(where, field + ".mediaType", d.media_type);
    m.layers.push_back(std::move(d));
  }
  return m;
}

ImageConfig parse_config(std::string_view text, const std::string& where) {
  json j = parse_object(text, where);
  ImageConfig c;
  c.platform.os = string_field(j, "os", "os", where);
  c.platform.architecture = string_field(j, "architecture", "architecture", where);
  c.platform.variant = string_field(j, "variant", "variant", where, false);
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end()) invalid(where, "'rootfs' is missing");
  if (!rootfs->is_object()) invalid(where, "'rootfs' must be an object");
  if (string_field(*rootfs, "type", "rootfs.type", where) != "layers") {
    invalid(where, "'rootfs.type' must be 'layers'");
  }
  const json& ids = array_field(*rootfs, "diff_ids", where);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_string() || !is_digest(ids[i].get<std::string>())) {
      invalid(where, "'rootfs.diff_ids[" + std::to_string(i) + "]' is not a sha256 digest");
    }
    c.diff_ids.push_back(ids[i].get<std::string>());
  }
  return c;
}

std::string manifest_to_json(const Manifest& m) {
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(l.to_json());
  json j = {{"schemaVersion", 2},
            {"mediaType", m.media_type},
            {"config", m.config.to_json()},
            {"layers", layers}};
  return j.dump();
}

}  // namespace kiln::airgap
