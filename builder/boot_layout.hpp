// kiln's disk and boot layout, shared by the assemble step and the tests.
// The initramfs side lives in overlays/kiln-boot/ (scripts/local-bottom/
// kiln-state); the names here must match it.
#pragma once

#include <array>

namespace kiln {

// GPT partition names, which the kernel command line and the initramfs
// find the partitions by.
inline constexpr const char* kEspPartName = "esp";
inline constexpr const char* kRootPartName = "kiln-root";
inline constexpr const char* kStatePartName = "kiln-state";

// Kernel arguments kiln puts before the spec's boot.cmdline.
inline constexpr const char* kRootCmdline = "root=PARTLABEL=kiln-root rootfstype=erofs ro";

// Where the UKI lives on the ESP: the removable-media path every UEFI
// firmware boots without a boot entry.
inline constexpr const char* kUkiEspPath = "EFI/BOOT/BOOTX64.EFI";

// Directories of the image that get a persistent overlayfs layer on the
// state partition (overlay/<dir>/{upper,work}); /var is the state
// partition's var/ itself.
inline constexpr std::array<const char*, 5> kOverlayLayers{"etc", "root", "home", "opt", "srv"};

}  // namespace kiln
