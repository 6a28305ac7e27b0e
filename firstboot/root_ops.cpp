#include "firstboot/root_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include <sys/stat.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sync_batch.hpp"

namespace kiln::firstboot {
namespace {

std::string shown(const RootDir& root, const std::string& rel) {
  return root.path() + rel;
}

}  // namespace

bool ensure_dir(const RootDir& root, const std::string& rel, mode_t mode, const Owner& owner) {
  std::string leaf;
  UniqueFd parent = root.open_parent(rel, leaf, true);
  bool created = false;
  if (::mkdirat(parent.get(), leaf.c_str(), mode) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    throw_errno("create directory", shown(root, rel));
  }
  UniqueFd dir = root.open(rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (owner && ::fchown(dir.get(), owner->first, owner->second) != 0)
    throw_errno("chown", shown(root, rel));
  if (::fchmod(dir.get(), mode) != 0) throw_errno("chmod", shown(root, rel));
  return created;
}

void replace_symlink(const RootDir& root, const std::string& rel, const std::string& target) {
  std::string leaf;
  UniqueFd parent_path = root.open_parent(rel, leaf, true);
  UniqueFd parent = open_file_at(parent_path.get(), ".", O_RDONLY | O_DIRECTORY);
  char current[4096];
  ssize_t n = ::readlinkat(parent.get(), leaf.c_str(), current, sizeof current);
  if (n >= 0 && std::string(current, static_cast<size_t>(n)) == target) return;
  std::string temp = "." + leaf + ".kiln-tmp-" + std::to_string(std::random_device{}());
  if (::symlinkat(target.c_str(), parent.get(), temp.c_str()) != 0)
    throw_errno("create symlink", shown(root, rel));
  if (::renameat(parent.get(), temp.c_str(), parent.get(), leaf.c_str()) != 0) {
    int err = errno;
    ::unlinkat(parent.get(), temp.c_str(), 0);
    throw_errno("rename into place", shown(root, rel), err);
  }
  sync_directory(parent.get(), shown(root, rel));
}

void copy_tree_in_root(const RootDir& root, const std::string& from, const std::string& to,
                       const Owner& owner) {
  UniqueFd dir;
  try {
    dir = root.open(from, O_RDONLY | O_DIRECTORY);
  } catch (const Error& e) {
    if (e.err() == ENOENT || e.err() == ENOTDIR) return;  // no skeleton: nothing to copy
    throw;
  }
  std::string host_dir = "/proc/self/fd/" + std::to_string(dir.get());
  for (const auto& name : list_dir(host_dir)) {
    const std::string src = from + "/" + name;
    const std::string dst = to + "/" + name;
    auto st = root.lstat(src);
    if (!st || root.exists(dst)) continue;
    if (S_ISDIR(st->st_mode)) {
      ensure_dir(root, dst, st->st_mode & 07777, owner);
      copy_tree_in_root(root, src, dst, owner);
    } else if (S_ISREG(st->st_mode)) {
      auto data = root.read_file(src, 16 << 20);
      if (data) root.write_file(dst, *data, st->st_mode & 0777, owner);
    }
  }
}

bool write_if_changed(const RootDir& root, const std::string& rel, const std::string& data,
                      mode_t mode, const Owner& owner) {
  auto st = root.lstat(rel);
  if (st && S_ISREG(st->st_mode) && (st->st_mode & 07777) == mode &&
      (!owner || (st->st_uid == owner->first && st->st_gid == owner->second))) {
    try {
      auto current = root.read_file(rel, data.size());
      if (current && *current == data) return false;
    } catch (const Error& e) {
      if (e.err() != EFBIG) throw;  // larger than the new content: it differs
    }
  }
  root.write_file(rel, data, mode, owner);
  return true;
}

}  // namespace kiln::firstboot
