// The seed file systems' kernel modules, loaded early in every boot by
// systemd-modules-load: kiln-firstboot mounts a CIDATA or config-2 volume
// (vfat or iso9660) right after local-fs.target, and a module the mount
// has to load on demand costs one modprobe helper per module, one after
// the other, inside the agent's run (half a second under emulation).
// Loaded at boot they come in alongside udev's own module loading.
#pragma once

#include <string>
#include <vector>

#include "util/root_dir.hpp"

namespace kiln {

constexpr const char* kSeedModulesConf = "/usr/lib/modules-load.d/kiln-firstboot.conf";

// The modules a vfat or iso9660 seed mount loads (Debian's defaults:
// codepage 437, iocharset ascii) that every kernel in the image has as a
// loadable module, in load order. Built-in or missing ones are left out:
// systemd-modules-load fails on a module it cannot find.
std::vector<std::string> seed_fs_modules(const RootDir& root);

// Writes kSeedModulesConf listing them, or removes it when there are none
// (an image without kernel modules). Returns the modules written.
std::vector<std::string> install_seed_fs_modules(const RootDir& root);

}  // namespace kiln
