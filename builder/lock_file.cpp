#include "builder/lock_file.hpp"

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

constexpr int kLockVersion = 1;

[[noreturn]] void malformed(const std::string& path, const std::string& why) {
  throw Error("read lock file '" + path + "': " + why + " (fix it or delete it to re-resolve)",
              kExitInvalid);
}

}  // namespace

std::optional<LockFile> read_lock_file(const std::string& path) {
  auto text = read_file_if_exists(path, 64 << 20);
  if (!text) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    malformed(path, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("kiln-lock", 0) != kLockVersion || !j.contains("images") ||
      !j["images"].is_object()) {
    malformed(path, "not a version " + std::to_string(kLockVersion) + " kiln lock file");
  }
  LockFile lock;
  for (const auto& [name, image] : j["images"].items()) {
    if (!image.is_object() || !image.contains("inputs") || !image["inputs"].is_object()) {
      malformed(path, "image '" + name + "' has no inputs object");
    }
    ImageLock il;
    for (const auto& [key, value] : image["inputs"].items()) {
      if (!value.is_string())
        malformed(path, "input '" + key + "' of image '" + name + "' is not a string");
      il.inputs[key] = value.get<std::string>();
    }
    if (image.contains("base-packages")) {
      if (!image["base-packages"].is_array())
        malformed(path, "base-packages of image '" + name + "' is not a list");
      for (const auto& p : image["base-packages"]) {
        if (!p.is_string())
          malformed(path, "base-packages of image '" + name + "' holds a non-string");
        std::string s = p.get<std::string>();
        size_t eq = s.find('=');
        if (eq == std::string::npos)
          malformed(path, "base package '" + s + "' is not NAME=VERSION");
        il.base_packages[s.substr(0, eq)] = s.substr(eq + 1);
      }
    }
    lock.images[name] = std::move(il);
  }
  return lock;
}

std::string render_lock_file(const LockFile& lock) {
  nlohmann::json images = nlohmann::json::object();
  for (const auto& [name, il] : lock.images) {
    nlohmann::json entry = {{"inputs", il.inputs}};
    if (!il.base_packages.empty()) {
      nlohmann::json pkgs = nlohmann::json::array();
      for (const auto& [p, v] : il.base_packages) pkgs.push_back(p + "=" + v);
      entry["base-packages"] = pkgs;
    }
    images[name] = entry;
  }
  // nlohmann's default object is a std::map: keys come out sorted.
  nlohmann::json j = {{"kiln-lock", kLockVersion}, {"images", images}};
  return j.dump(2) + "\n";
}

void write_lock_file(const std::string& path, const LockFile& lock) {
  write_file_atomic(path, render_lock_file(lock), 0644);
}

void check_against_lock(const LockEntries& resolved,
                        const std::map<std::string, std::string>& packages, const ImageLock& lock,
                        const std::string& lock_path, bool complete) {
  for (const auto& [key, value] : resolved) {
    auto it = lock.inputs.find(key);
    if (it == lock.inputs.end()) {
      throw Error("input '" + key + "' is not in the lock file '" + lock_path + "'",
                  kExitVerification);
    }
    if (it->second == value) continue;
    std::string why = "locked " + it->second + ", now " + value;
    if (key == "base" && !lock.base_packages.empty()) {
      // Name the first package that moved, rather than two opaque hashes.
      for (const auto& [p, v] : packages) {
        auto lp = lock.base_packages.find(p);
        if (lp == lock.base_packages.end()) {
          why = "package '" + p + "' " + v + " is not locked";
          break;
        }
        if (lp->second != v) {
          why = "package '" + p + "' is " + v + ", locked " + lp->second;
          break;
        }
      }
      if (why.starts_with("locked ")) {
        for (const auto& [p, v] : lock.base_packages) {
          if (packages.count(p) == 0) {
            why = "locked package '" + p + "' " + v + " is gone";
            break;
          }
        }
      }
    }
    throw Error("input '" + key + "' differs from the lock file '" + lock_path + "': " + why,
                kExitVerification);
  }
  if (!complete) return;
  for (const auto& [key, value] : lock.inputs) {
    if (resolved.count(key) == 0) {
      throw Error("the lock file '" + lock_path + "' lists input '" + key +
                      "', which this build no longer has",
                  kExitVerification);
    }
  }
}

}  // namespace kiln
