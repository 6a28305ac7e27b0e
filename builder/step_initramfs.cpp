// The initramfs step: find the image's kernel, and make its initramfs with
// the image's own initramfs-tools (which, through overlays/kiln-boot, mounts
// the erofs root and the state partition). Generating one takes 20-40 s, so
// the result is cached under <cache>/initramfs/<key>.img, keyed by a hash of
// everything that shapes it (initramfs.hpp); a rebuild that changed only
// other files reuses it.
#include <unistd.h>

#include <sys/stat.h>

#include "builder/initramfs.hpp"
#include "builder/reproducible.hpp"
#include "builder/steps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

// The base's own initramfs (made when the kernel package was installed)
// cannot mount kiln's layout and is never booted: the UKI carries the one
// made here. Dropping it saves tens of MiB in the root file system.
void remove_stale_initrds(BuildContext& ctx) {
  RootDir root(ctx.rootfs_dir);
  if (root.exists("boot")) {
    for (const std::string& name : list_dir(root.resolve("boot"))) {
      if (name.rfind("initrd.img-", 0) != 0) continue;
      root.remove("boot/" + name);
      ctx.report.removed.push_back("/boot/" + name);
    }
  }
  // The top-level convenience links to them would dangle.
  for (const char* link : {"initrd.img", "initrd.img.old"}) {
    char target[4096];
    ssize_t n = ::readlink(path_join(ctx.rootfs_dir, link).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (basename_of(target).rfind("initrd.img-", 0) != 0) continue;
    root.remove(link);
    ctx.report.removed.push_back(std::string("/") + link);
  }
}

}  // namespace

void run_initramfs_step(BuildContext& ctx) {
  StepTimer timer("initramfs");
  ImageArtifacts& img = ctx.image;
  if (img.source_date_epoch == 0) img.source_date_epoch = source_date_epoch();
  KernelInfo kernel = find_kernel(ctx.rootfs_dir);
  img.kernel_version = kernel.version;
  img.kernel_path = kernel.vmlinuz;
  ctx.report.kernel_version = kernel.version;
  timer.add_field("kernel", kernel.version);

  std::string key = initramfs_cache_key(ctx.rootfs_dir, kernel, img.source_date_epoch);
  std::string cache_dir = ctx.options.cache_dir.empty()
                              ? path_join(ctx.work_dir, "initramfs-cache")
                              : path_join(ctx.options.cache_dir, "initramfs");
  mkdir_p(cache_dir, 0755);
  std::string cached = path_join(cache_dir, key + ".img");
  img.initrd_path = cached;
  if (path_exists(cached)) {
    img.initrd_cached = true;
    log_debug("initramfs: reusing " + cached);
  } else {
    img.initrd_cached = false;
    generate_initramfs(ctx.rootfs_dir, kernel, cached, img.source_date_epoch,
                       path_join(ctx.work_dir, "initramfs.log"));
  }
  remove_stale_initrds(ctx);
  struct stat st {};
  if (::stat(cached.c_str(), &st) == 0) timer.add_field("size", human_bytes(st.st_size));
  timer.finish(img.initrd_cached ? StepStatus::Cached : StepStatus::Ok);
}

}  // namespace kiln
