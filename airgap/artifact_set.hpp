// RKE2 release artifact directories, as upstream publishes them and as
// install.sh's INSTALL_RKE2_ARTIFACT_PATH expects them:
//   rke2.linux-<arch>.tar.gz            binaries, units, share/rke2
//   sha256sum-<arch>.txt                checksums of the release's files
//   rke2-images.linux-<arch>.tar.zst    every image ("all"), or
//   rke2-images-core.linux-<arch>.tar.zst plus rke2-images-<cni>...  (split)
//   install.sh                          optional; kiln never runs it
// Verification hashes every file that is present and listed (the split
// image tarballs too, which upstream's install.sh copies unchecked). A
// release file that is present but not listed cannot be trusted and is an
// error; a listed file that is absent is an error when the install needs
// it and is reported otherwise, because upstream's own air-gap docs tell
// people to download only the files they use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kiln::airgap {

struct ArtifactSet {
  std::string dir;
  std::string arch;
  std::string checksums;                      // sha256sum-<arch>.txt
  std::string tarball;                        // rke2.linux-<arch>.tar.gz
  std::map<std::string, std::string> sha256;  // every verified file -> hex
  std::map<std::string, std::string> images;  // image set ("all", "core", "canal") -> file
  std::vector<std::string> unlisted;  // present, not a release file, not listed (install.sh)
  std::vector<std::string> absent;    // listed but not downloaded, and not needed
};

// The image tarball for a set: "all" -> rke2-images.linux-<arch>.tar.zst,
// "core" -> rke2-images-core.linux-<arch>.tar.zst.
std::string image_tarball_name(const std::string& set, const std::string& arch,
                               const std::string& ext = ".tar.zst");

// Verifies `dir`. `wanted` are the image sets the install needs ("all", or
// "core" plus CNIs); empty means "whatever is there", which must still be
// "all" or "core". `progress` gets hashed bytes and the total. Errors name
// the file: exit 4 when something needed is missing, 3 when something does
// not verify.
ArtifactSet verify_artifact_set(const std::string& dir, const std::string& arch,
                                const std::vector<std::string>& wanted,
                                const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace kiln::airgap
