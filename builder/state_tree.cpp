#include "builder/state_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <sys/stat.h>

#include "builder/boot_layout.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

void make_dir_like(const std::string& path, const struct stat& like) {
  if (::mkdir(path.c_str(), 0700) != 0) throw_errno("create directory", path);
  if (::lchown(path.c_str(), like.st_uid, like.st_gid) != 0) throw_errno("set owner of", path);
  if (::chmod(path.c_str(), like.st_mode & 07777) != 0) throw_errno("set mode of", path);
}

}  // namespace

void split_state_tree(const std::string& rootfs_dir, const std::string& state_dir) {
  if (::mkdir(state_dir.c_str(), 0755) != 0) throw_errno("create directory", state_dir);
  std::string var = path_join(rootfs_dir, "var");
  std::string state_var = path_join(state_dir, "var");
  auto st = lstat_path(var);
  if (st && !S_ISDIR(st->st_mode)) {
    throw Error("split state from '" + var +
                "': /var in the image is not a directory; kiln mounts the state partition there");
  }
  if (st) {
    if (::rename(var.c_str(), state_var.c_str()) != 0) {
      throw_errno("move /var of the image to", state_var);
    }
    make_dir_like(var, *st);
  } else {
    struct stat def {};
    def.st_mode = S_IFDIR | 0755;
    make_dir_like(var, def);
    make_dir_like(state_var, def);
  }

  std::string overlay = path_join(state_dir, "overlay");
  if (::mkdir(overlay.c_str(), 0755) != 0) throw_errno("create directory", overlay);
  for (const char* layer : kOverlayLayers) {
    auto lower = lstat_path(path_join(rootfs_dir, layer));
    if (!lower || !S_ISDIR(lower->st_mode)) continue;
    std::string base = path_join(overlay, layer);
    if (::mkdir(base.c_str(), 0755) != 0) throw_errno("create directory", base);
    make_dir_like(path_join(base, "upper"), *lower);
    struct stat work {};
    work.st_mode = S_IFDIR | 0700;
    make_dir_like(path_join(base, "work"), work);
  }
}

}  // namespace kiln
