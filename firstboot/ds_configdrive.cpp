// OpenStack ConfigDrive: a volume labelled config-2 with
// openstack/latest/meta_data.json and an optional user_data.
#include <cerrno>

#include <nlohmann/json.hpp>

#include "firstboot/block_devices.hpp"
#include "firstboot/datasource.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/names.hpp"
#include "firstboot/volume_mount.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

// 1-based line and column of a byte offset.
std::pair<int, int> position_of(const std::string& text, size_t byte) {
  int line = 1;
  int col = 1;
  for (size_t i = 0; i < text.size() && i + 1 < byte; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

void problem(SeedData& s, const std::string& file, int line, int col, std::string msg,
             bool warning = false) {
  s.read_problems.push_back({file, line, col, std::move(msg), warning});
}

void parse_meta(const std::string& text, const std::string& name, SeedData& s) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    auto [line, col] = position_of(text, e.byte);
    problem(s, name, line, col, "invalid JSON");
    return;
  }
  if (!j.is_object()) {
    problem(s, name, 1, 1, "meta_data.json must be a JSON object");
    return;
  }
  MetaData md;
  auto uuid = j.find("uuid");
  if (uuid == j.end() || !uuid->is_string()) {
    problem(s, name, 1, 1, "meta_data.json needs a string 'uuid' (the instance id)");
  } else if (std::string why = check_instance_id(uuid->get<std::string>()); !why.empty()) {
    problem(s, name, 1, 1, "uuid '" + uuid->get<std::string>() + "' " + why);
  } else {
    md.instance_id = uuid->get<std::string>();
  }
  if (auto h = j.find("hostname"); h != j.end() && h->is_string()) {
    std::string host = h->get<std::string>();
    if (std::string why = check_hostname(host); !why.empty()) {
      problem(s, name, 1, 1, "hostname '" + host + "' " + why);
    } else {
      md.local_hostname = host;
    }
  }
  if (auto k = j.find("public_keys"); k != j.end() && k->is_object()) {
    for (const auto& [key_name, key] : k->items()) {
      if (key.is_string() && !has_control_chars(key.get<std::string>()))
        md.public_keys.push_back(key.get<std::string>());
    }
  }
  s.meta = md;
}

}  // namespace

SeedData read_configdrive_files(const SeedFiles& files, const std::string& location) {
  SeedData s;
  s.source = "configdrive";
  s.location = location;
  const std::string base = "openstack/latest/";
  const std::string shown = location + "/openstack/latest/";
  auto read_limited = [&](const std::string& file, size_t limit) -> std::optional<std::string> {
    try {
      return files.read(base + file, limit);
    } catch (const Error& e) {
      if (e.err() != EFBIG) throw;
      problem(s, shown + file, 0, 0, "is larger than " + human_bytes(limit) + " (the limit)");
      return std::nullopt;
    }
  };
  s.user_data.name = shown + "user_data";
  if (auto meta = read_limited("meta_data.json", kMaxMetaDataBytes)) {
    parse_meta(*meta, shown + "meta_data.json", s);
  } else if (s.read_problems.empty()) {
    problem(s, shown + "meta_data.json", 0, 0,
            "missing (a ConfigDrive needs openstack/latest/meta_data.json)");
  }
  if (auto ud = read_limited("user_data", kMaxUserDataBytes)) s.user_data.data = *ud;
  if (files.exists(base + "network_data.json")) {
    problem(
        s, shown + "network_data.json", 0, 0,
        "is not applied; kiln-firstboot configures the network from NoCloud network-config only",
        true);
  }
  return s;
}

SeedData read_configdrive_dir(const std::string& dir, const std::string& location) {
  return read_configdrive_files(dir_seed_files(dir), location);
}

std::optional<SeedData> read_configdrive(const std::vector<std::string>& devices) {
  auto volume = find_volume(devices, {"config-2", "CONFIG-2"});
  if (!volume) return std::nullopt;
  return read_seed_volume(*volume, [&](const SeedFiles& files) {
    return read_configdrive_files(files, volume->device);
  });
}

}  // namespace kiln::firstboot
