#include "airgap/artifact_set.hpp"

#include <algorithm>
#include <set>

#include <sys/stat.h>

#include "airgap/checksums.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/streams.hpp"
#include "airgap/zstd_frames.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

// A file of the release itself (as opposed to install.sh or a README).
bool is_release_file(const std::string& name, const std::string& arch) {
  return name.starts_with("rke2") && name.find(".linux-" + arch) != std::string::npos;
}

// "rke2-images-canal.linux-amd64.tar.zst" -> "canal"; "rke2-images.linux-..." -> "all".
std::optional<std::string> image_set_of(const std::string& name, const std::string& arch) {
  for (const char* ext : {".tar.zst", ".tar.gz"}) {
    std::string suffix = ".linux-" + arch + ext;
    if (!ends_with(name, suffix)) continue;
    std::string stem = name.substr(0, name.size() - suffix.size());
    if (stem == "rke2-images") return "all";
    if (stem.starts_with("rke2-images-") && stem.size() > 12) return stem.substr(12);
  }
  return std::nullopt;
}

}  // namespace

std::string image_tarball_name(const std::string& set, const std::string& arch,
                               const std::string& ext) {
  return (set == "all" ? std::string("rke2-images") : "rke2-images-" + set) + ".linux-" + arch +
         ext;
}

ArtifactSet verify_artifact_set(const std::string& dir, const std::string& arch,
                                const std::vector<std::string>& wanted,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  ArtifactSet set;
  set.dir = dir;
  set.arch = arch;
  set.checksums = "sha256sum-" + arch + ".txt";
  set.tarball = "rke2.linux-" + arch + ".tar.gz";
  std::string where = "rke2 artifacts '" + dir + "'";
  if (!is_directory(dir)) {
    throw Error(where + ": not a directory", kExitMissingInput);
  }
  auto text = read_file_if_exists(dir + "/" + set.checksums, 1 << 20);
  if (!text) throw Error(where + ": " + set.checksums + " is missing", kExitMissingInput);
  std::map<std::string, std::string> listed;
  for (const auto& e : parse_checksums(*text, dir + "/" + set.checksums)) listed[e.name] = e.sha256;

  // Which files are present, and how much there is to hash.
  std::vector<std::string> present;
  uint64_t total = 0;
  for (const auto& name : list_dir(dir)) {
    if (name == set.checksums || name.starts_with(".")) continue;
    auto st = lstat_path(dir + "/" + name);
    if (!st || !S_ISREG(st->st_mode)) continue;
    if (listed.count(name) == 0) {
      if (is_release_file(name, arch)) {
        throw Error(where + ": " + name + " is not listed in " + set.checksums +
                        ", so it cannot be verified",
                    kExitVerification);
      }
      set.unlisted.push_back(name);
      continue;
    }
    present.push_back(name);
    total += static_cast<uint64_t>(st->st_size);
  }

  // What the install needs.
  auto need = [&](const std::string& name) {
    if (std::find(present.begin(), present.end(), name) != present.end()) return;
    throw Error(where + ": " + name +
                    (listed.count(name) != 0 ? " is listed in " + set.checksums + " but missing"
                                             : " is missing"),
                kExitMissingInput);
  };
  need(set.tarball);
  std::map<std::string, std::string> available;  // image set -> file, .tar.zst preferred
  for (const auto& name : present) {
    if (auto s = image_set_of(name, arch)) {
      auto it = available.find(*s);
      if (it == available.end() || ends_with(name, ".tar.zst")) available[*s] = name;
    }
  }
  if (wanted.empty()) {
    if (available.count("all") == 0 && available.count("core") == 0) {
      throw Error(where + ": no image tarballs (need " + image_tarball_name("all", arch) + ", or " +
                      image_tarball_name("core", arch) + " plus a CNI's)",
                  kExitMissingInput);
    }
    set.images = available;
  } else {
    for (const auto& w : wanted) {
      auto it = available.find(w);
      if (it == available.end()) {
        need(image_tarball_name(w, arch));
        continue;
      }
      set.images[w] = it->second;
    }
  }

  uint64_t done = 0;
  std::vector<char> buf(kChunkSize);
  for (const auto& name : present) {
    FdInputStream in(dir + "/" + name);
    Sha256 h;
    while (size_t n = in.read(buf.data(), buf.size())) {
      h.update(buf.data(), n);
      done += n;
      if (progress) progress(done, total);
    }
    std::string actual = h.hex_digest();
    if (actual != listed[name]) {
      throw Error(where + ": " + name + " does not match " + set.checksums + " (expected " +
                      listed[name] + ", got " + actual + ")",
                  kExitVerification);
    }
    set.sha256[name] = actual;
    // RKE2 refuses zstd frames with windows over 32 MiB; better here than on a node.
    if (ends_with(name, ".tar.zst") || ends_with(name, ".tzst"))
      check_zstd_window(dir + "/" + name);
  }
  for (const auto& [name, sha] : listed) {
    if (set.sha256.count(name) == 0) set.absent.push_back(name);
  }
  return set;
}

}  // namespace kiln::airgap
