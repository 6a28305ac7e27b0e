#include "firstboot/volume_mount.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <sys/mount.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/mount_namespace.hpp"
#include "util/mount_ptr.hpp"
#include "util/volume_files.hpp"

namespace kiln::firstboot {

void enter_seed_mount_namespace() {
  static bool entered = false;
  if (entered) return;
  enter_private_mount_namespace();
  entered = true;
}

ReadOnlyMount::ReadOnlyMount(const std::string& source, const std::string& fstype)
    : dir_("", "kiln-seed") {
  enter_seed_mount_namespace();
  MntContextPtr cxt(mnt_new_context());
  if (!cxt) throw Error("mount '" + source + "': out of memory");
  mnt_context_set_source(cxt.get(), source.c_str());
  mnt_context_set_target(cxt.get(), dir_.path().c_str());
  mnt_context_set_fstype(cxt.get(), fstype.c_str());
  mnt_context_set_mflags(cxt.get(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  // No /sbin/mount.TYPE helpers and no utab bookkeeping: a plain mount(2).
  mnt_context_disable_helpers(cxt.get(), 1);
  mnt_context_disable_mtab(cxt.get(), 1);
  int rc = mnt_context_mount(cxt.get());
  if (rc != 0 || mnt_context_get_status(cxt.get()) != 1) {
    int err = mnt_context_get_syscall_errno(cxt.get());
    char buf[512] = {0};
    mnt_context_get_excode(cxt.get(), rc, buf, sizeof buf);
    std::string reason =
        buf[0] != '\0' ? buf
                       : (err != 0 ? std::strerror(err) : "libmount error " + std::to_string(rc));
    throw Error("mount '" + source + "' (" + fstype + ") read-only: " + reason, 1, err);
  }
  mounted_ = true;
}

ReadOnlyMount::~ReadOnlyMount() {
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

SeedData read_seed_volume(const VolumeInfo& volume,
                          const std::function<SeedData(const SeedFiles&)>& read) {
  std::unique_ptr<ReadOnlyMount> mount;
  try {
    mount = std::make_unique<ReadOnlyMount>(volume.device, volume.type);
  } catch (const Error& e) {
    if (e.err() != ENODEV && e.err() != EPERM) throw;
    log_debug(std::string(e.what()) + "; reading the volume without mounting it");
  }
  if (mount) return read(dir_seed_files(mount->path()));
  std::shared_ptr<VolumeFiles> files = open_volume_files(volume.device, volume.type);
  return read(SeedFiles{
      .read = [files](const std::string& rel, size_t limit) { return files->read(rel, limit); },
      .exists = [files](const std::string& rel) { return files->exists(rel); },
      .prefetch = nullptr,  // read in user space: nothing to overlap
  });
}

}  // namespace kiln::firstboot
