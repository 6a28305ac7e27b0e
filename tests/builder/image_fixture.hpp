// A tiny image for tests of the boot and disk steps: a staging tree with a
// fake kernel (random bytes: the assembly only packs it, the [qemu] tests
// boot real ones), a fake initramfs, a /var with content, and the
// BuildContext that the initramfs/assemble/output steps read.
#pragma once

#include <memory>
#include <string>

#include "builder/build_context.hpp"
#include "util/fs.hpp"

namespace kiln::test {

struct TinyImage {
  TempDir dir;
  spec::ImageSpec spec;
  std::unique_ptr<BuildContext> ctx;
  std::string initrd;  // fake initramfs file

  // Staging tree under dir/work/rootfs, outputs to dir/out, cache dir/cache.
  TinyImage();
  // Pretends the initramfs step ran (kernel and initrd known).
  void as_if_initramfs_ran();
};

constexpr const char* kTinyKernelVersion = "1.0.0-kiln-test";

// Deterministic pseudo-random bytes (a fake kernel must not compress away).
std::string pseudo_random_bytes(size_t n, unsigned seed);

}  // namespace kiln::test
