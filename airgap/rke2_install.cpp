#include "airgap/rke2_install.hpp"

#include <fcntl.h>

#include <sys/stat.h>

#include "airgap/exit_codes.hpp"
#include "airgap/streams.hpp"
#include "airgap/zstd_frames.hpp"
#include "util/archive_extract.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

// Copies a verified file into the root, hashing it again on the way so a
// file that changed since verification is caught.
void install_copy(const RootDir& root, const std::string& from, const std::string& to,
                  const std::string& sha256, const std::function<void(uint64_t)>& progress) {
  root.mkdirs(dirname_of(to));
  // A real directory descriptor (not O_PATH): AtomicFile fsyncs it.
  UniqueFd dir = root.open(dirname_of(to), O_RDONLY | O_DIRECTORY);
  AtomicFile out(dir.get(), basename_of(to), 0644, root.path() + to);
  FdInputStream in(from);
  Sha256 h;
  pump(in, [&](const char* d, size_t n) {
    h.update(d, n);
    out.write(std::string_view(d, n));
    if (progress) progress(n);
  });
  std::string actual = h.hex_digest();
  if (actual != sha256) {
    throw Error("install '" + from + "': it changed since it was verified (now " + actual + ")",
                kExitVerification);
  }
  out.commit();
}

}  // namespace

std::string replace_prefix(std::string_view text, std::string_view prefix) {
  const std::string_view from = kRke2DefaultPrefix;
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, (end == std::string_view::npos ? text.size() : end) - start);
    size_t at = line.find(from);
    if (at == std::string_view::npos) {
      out += line;
    } else {
      out += line.substr(0, at);
      out += prefix;
      out += line.substr(at + from.size());
    }
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

Rke2InstallResult install_rke2(const ArtifactSet& set, const std::string& root_path,
                               const Rke2InstallOptions& o) {
  RootDir root(root_path);
  Rke2InstallResult result;
  uint64_t total = 0;
  for (const auto& [name, file] : set.images) {
    if (auto st = lstat_path(set.dir + "/" + file)) total += static_cast<uint64_t>(st->st_size);
  }
  uint64_t done = 0;
  auto progress = [&](uint64_t n) {
    done += n;
    if (o.progress) o.progress(done, total);
  };

  // The tarball's tree under the prefix, every owner, mode and xattr kept.
  root.mkdirs(o.prefix);
  ExtractOptions eo;
  eo.skip_unpermitted_devices = o.skip_unpermitted_devices;
  with_context("while unpacking '" + set.tarball + "' into " + o.prefix,
               [&] { extract_tree(set.dir + "/" + set.tarball, root.resolve(o.prefix), eo); });
  result.lock["rke2:" + set.tarball] = set.sha256.at(set.tarball);

  if (o.prefix != kRke2DefaultPrefix) {
    std::string units = path_join(o.prefix, "lib/systemd/system");
    std::vector<std::string> adjust;
    if (auto st = root.lstat(units); st && S_ISDIR(st->st_mode)) {
      for (const auto& name : list_dir(root.resolve(units))) {
        if (name.starts_with("rke2-") && name.ends_with(".service"))
          adjust.push_back(units + "/" + name);
      }
    }
    std::string uninstall = path_join(o.prefix, "bin/rke2-uninstall.sh");
    if (root.exists(uninstall)) adjust.push_back(uninstall);
    for (const auto& path : adjust) {
      auto st = root.lstat(path);
      auto text = root.read_file(path);
      if (!st || !S_ISREG(st->st_mode) || !text) continue;
      std::string fixed = replace_prefix(*text, o.prefix);
      bool unit = path.ends_with(".service");
      // install.sh moves the units to /etc/systemd/system for a non-default prefix.
      std::string dest = unit ? "/etc/systemd/system/" + basename_of(path) : path;
      root.mkdirs(dirname_of(dest));
      root.write_file(dest, fixed, st->st_mode & 07777, std::make_pair(st->st_uid, st->st_gid));
      if (unit) root.remove(path);
    }
  }

  root.mkdirs(dirname_of(kRke2PresetPath));
  root.write_file(kRke2PresetPath,
                  "# kiln: the RKE2 role is enabled by kiln-firstboot, never by presets.\n"
                  "disable rke2-server.service\n"
                  "disable rke2-agent.service\n",
                  0644);

  for (const auto& [image_set, file] : set.images) {
    std::string from = set.dir + "/" + file;
    if (ends_with(file, ".tar.zst")) check_zstd_window(from);
    std::string to = std::string(kRke2ImagesDir) + "/" + file;
    install_copy(root, from, to, set.sha256.at(file), progress);
    result.installed.push_back(to);
    result.lock["rke2:" + file] = set.sha256.at(file);
    // The set's image list goes along when the release has one, as
    // install.sh's rke2-images-* copy does.
    std::string list = file.substr(0, file.find(".tar.")) + ".txt";
    if (auto it = set.sha256.find(list); it != set.sha256.end()) {
      std::string list_to = std::string(kRke2ImagesDir) + "/" + list;
      install_copy(root, set.dir + "/" + list, list_to, it->second, {});
      result.installed.push_back(list_to);
      result.lock["rke2:" + list] = it->second;
    }
  }
  return result;
}

}  // namespace kiln::airgap
