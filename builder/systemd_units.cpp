#include "builder/systemd_units.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"

namespace kiln {

void install_unit(const RootDir& root, const std::string& name, const std::string& content) {
  root.write_file(std::string(kImageUnitDir) + "/" + name, content, 0644, std::pair{0U, 0U});
}

void replace_symlink(const RootDir& root, const std::string& link, const std::string& target) {
  std::string leaf;
  UniqueFd parent = root.open_parent(link, leaf, true, 0755);
  const std::string temp = "." + leaf + ".kiln-tmp";
  ::unlinkat(parent.get(), temp.c_str(), 0);
  if (::symlinkat(target.c_str(), parent.get(), temp.c_str()) != 0) {
    throw_errno("create symlink", root.path() + link);
  }
  if (::renameat(parent.get(), temp.c_str(), parent.get(), leaf.c_str()) != 0) {
    int err = errno;
    ::unlinkat(parent.get(), temp.c_str(), 0);
    throw_errno("rename into place", root.path() + link, err);
  }
}

void enable_unit(const RootDir& root, const std::string& name, const std::string& wanted_by) {
  replace_symlink(root, "/etc/systemd/system/" + wanted_by + ".wants/" + name,
                  std::string(kImageUnitDir) + "/" + name);
}

}  // namespace kiln
