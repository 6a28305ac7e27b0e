// NoCloud seed images as `kiln seed` and `kiln cluster` make them: the
// user-data, meta-data and optional network-config files on a small volume
// labelled `cidata`, as vfat (mkfs.vfat + mtools, like `cloud-localds -f
// vfat`) or iso9660 (libarchive's writer with Rock Ridge and Joliet, like
// `cloud-localds`, which runs `genisoimage -volid cidata -joliet -rock`).
// A seed may hold an RKE2 token, so the image is written mode 0600, whole or
// not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

enum class SeedFormat { Vfat, Iso9660 };

// "vfat" / "iso9660" (also "iso"); nullopt for anything else.
std::optional<SeedFormat> parse_seed_format(const std::string& name);

struct SeedFiles {
  std::string user_data;
  std::string meta_data;
  std::optional<std::string> network_config;
};

// The volume label cloud-localds gives seeds; kiln-firstboot and cloud-init
// also accept CIDATA.
constexpr const char* kSeedLabel = "cidata";

// Writes `files` as a seed image at `out` (mode 0600, through a temp file in
// the same directory that is renamed into place when complete). `epoch`
// stamps every file's time.
void write_seed_image(const SeedFiles& files, const std::string& out, SeedFormat format,
                      int64_t epoch);

}  // namespace kiln
