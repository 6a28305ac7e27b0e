#include "tests/builder/image_fixture.hpp"

#include <unistd.h>

#include <sys/stat.h>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"

namespace kiln::test {

std::string pseudo_random_bytes(size_t n, unsigned seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

TinyImage::TinyImage() : dir("", "kiln-tiny") {
  spec.file = dir.path() + "/spec.yaml";
  spec.dir = dir.path();
  spec.sha256 = std::string(64, 'a');
  spec.name = "tiny";
  spec.version = "1.0";
  spec.boot.cmdline = "console=ttyS0";
  spec.partitions.headroom_percent = 25;
  spec.outputs = {spec::Output::Raw, spec::Output::Qcow2};

  std::string work = dir.path() + "/work";
  std::string root = work + "/rootfs";
  mkdir_p(root + "/boot");
  mkdir_p(root + "/usr/lib/modules/" + std::string(kTinyKernelVersion));
  mkdir_p(root + "/var/lib/tiny");
  mkdir_p(root + "/var/log");
  mkdir_p(root + "/home");
  mkdir_p(root + "/root");
  ::chmod((root + "/root").c_str(), 0700);
  write_text(root + "/etc/os-release", "NAME=\"Tiny\"\nID=tiny\n");
  write_text(root + "/etc/hostname", "tiny\n");
  write_text(root + "/usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
  write_text(root + "/boot/vmlinuz-" + std::string(kTinyKernelVersion),
             pseudo_random_bytes(256 * 1024, 1));
  write_text(root + "/usr/lib/modules/" + std::string(kTinyKernelVersion) + "/modules.dep", "");
  write_text(root + "/var/lib/tiny/data", "state that must persist\n");
  write_text(root + "/var/lib/tiny/big", pseudo_random_bytes(3 << 20, 2));
  if (::symlink("../lib/tiny/data", (root + "/var/log/link").c_str()) != 0) {
    throw_errno("symlink", root + "/var/log/link");
  }
  initrd = dir.path() + "/initrd.img";
  write_text(initrd, pseudo_random_bytes(128 * 1024, 3));

  BuildOptions o;
  o.output_dir = dir.path() + "/out";
  o.cache_dir = dir.path() + "/cache";
  ctx = std::make_unique<BuildContext>(
      BuildContext{.spec = spec, .options = o, .work_dir = work, .rootfs_dir = root});
  ctx->resolved["base"] = std::string(64, 'b');
}

void TinyImage::as_if_initramfs_ran() {
  ctx->image.kernel_version = kTinyKernelVersion;
  ctx->image.kernel_path = ctx->rootfs_dir + "/boot/vmlinuz-" + std::string(kTinyKernelVersion);
  ctx->image.initrd_path = initrd;
}

}  // namespace kiln::test
