#include "firstboot/block_devices.hpp"

#include <algorithm>

#include "util/blkid_ptr.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {

std::vector<std::string> system_block_devices() {
  std::vector<std::string> out;
  if (!is_directory("/sys/class/block")) return out;
  for (const auto& name : list_dir("/sys/class/block")) {
    // RAM-backed devices never carry a seed.
    if (name.starts_with("ram") || name.starts_with("zram")) continue;
    out.push_back("/dev/" + name);
  }
  return out;
}

std::optional<VolumeInfo> probe_volume(const std::string& device) {
  BlkidProbePtr probe(blkid_new_probe_from_filename(device.c_str()));
  if (!probe) return std::nullopt;  // cannot open (no medium, no permission)
  blkid_probe_enable_superblocks(probe.get(), 1);
  blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
  // Only the seed file systems' probers run: the full set reads dozens of
  // places on every disk (RAID metadata at its end, too), which costs a
  // boot far more than the two superblocks a seed can have.
  char vfat[] = "vfat";
  char iso9660[] = "iso9660";
  char* seed_types[] = {vfat, iso9660, nullptr};
  if (blkid_probe_filter_superblocks_type(probe.get(), BLKID_FLTR_ONLYIN, seed_types) != 0)
    return std::nullopt;
  if (blkid_do_safeprobe(probe.get()) != 0) return std::nullopt;
  const char* label = nullptr;
  const char* type = nullptr;
  if (blkid_probe_lookup_value(probe.get(), "TYPE", &type, nullptr) != 0) return std::nullopt;
  if (blkid_probe_lookup_value(probe.get(), "LABEL", &label, nullptr) != 0) label = "";
  return VolumeInfo{device, label, type};
}

std::optional<VolumeInfo> find_volume(const std::vector<std::string>& devices,
                                      const std::vector<std::string>& labels) {
  for (const auto& dev : devices) {
    auto v = probe_volume(dev);
    if (!v) continue;
    if (std::find(labels.begin(), labels.end(), v->label) != labels.end()) return v;
  }
  return std::nullopt;
}

}  // namespace kiln::firstboot
