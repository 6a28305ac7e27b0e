// The image's initramfs, made inside the staging tree by the image's own
// initramfs-tools for the image's own kernel, and the cache key that lets a
// rebuild reuse it.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

struct KernelInfo {
  std::string version;  // "6.1.0-50-amd64"
  std::string vmlinuz;  // host path of /boot/vmlinuz-<version> in the tree
};

// The kernel to boot: the one /vmlinuz points at, else the only
// /boot/vmlinuz-*, else the highest version. Each needs its
// /usr/lib/modules/<version>. No kernel is a missing-input error (exit 4).
KernelInfo find_kernel(const std::string& rootfs_dir);

// sha256 over everything that shapes the initramfs: the kernel and its
// modules, initramfs-tools' configuration, hooks and scripts (kiln-boot's
// among them), modprobe and udev configuration, the installed package
// versions (the binaries the hooks copy) and the timestamp.
std::string initramfs_cache_key(const std::string& rootfs_dir, const KernelInfo& kernel,
                                int64_t epoch);

// Runs the tree's mkinitramfs for `kernel` in a sandbox rooted at the tree
// (bubblewrap: the tree as /, a private /dev and /proc, no network) and
// writes the result to `out`. Leaves nothing behind in the tree. Output of
// the run goes to `log_path`.
void generate_initramfs(const std::string& rootfs_dir, const KernelInfo& kernel,
                        const std::string& out, int64_t epoch, const std::string& log_path);

}  // namespace kiln
