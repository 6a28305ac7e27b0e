// Installs a verified RKE2 artifact set into an image root the way
// upstream's install.sh does with INSTALL_RKE2_ARTIFACT_PATH and the tar
// method: the tarball's own tree (bin/, lib/systemd/system/, share/rke2/)
// unpacked under the prefix; for a prefix other than /usr/local the units
// and rke2-uninstall.sh get /usr/local replaced by the prefix and the units
// move to /etc/systemd/system; the chosen image tarballs are copied, under
// their release names, to /var/lib/rancher/rke2/agent/images/.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "airgap/artifact_set.hpp"

namespace kiln::airgap {

constexpr const char* kRke2DefaultPrefix = "/usr/local";
constexpr const char* kRke2ImagesDir = "/var/lib/rancher/rke2/agent/images";
// systemd runs `preset-all` on a machine's first boot, and Debian's default
// policy enables every unit: it would enable rke2-server and rke2-agent
// (which conflict) on every node. This preset keeps both disabled, so the
// role is only ever the one kiln-firstboot (or the operator) enables.
constexpr const char* kRke2PresetPath = "/usr/lib/systemd/system-preset/40-kiln-rke2.preset";

struct Rke2InstallOptions {
  std::string prefix = kRke2DefaultPrefix;
  // Unpack device nodes only where permitted (see util/archive_extract.hpp).
  bool skip_unpermitted_devices = false;
  std::function<void(uint64_t, uint64_t)> progress;
};

struct Rke2InstallResult {
  std::vector<std::string> installed;       // paths inside the root
  std::map<std::string, std::string> lock;  // "rke2:FILE" -> sha256
};

Rke2InstallResult install_rke2(const ArtifactSet& set, const std::string& root,
                               const Rke2InstallOptions& options);

// install.sh's `sed "s|/usr/local|PREFIX|"`: the first /usr/local on each line.
std::string replace_prefix(std::string_view text, std::string_view prefix);

}  // namespace kiln::airgap
