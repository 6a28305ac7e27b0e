#include "builder/seed_fs_modules.hpp"

#include <algorithm>
#include <set>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr const char* kWanted[] = {"vfat", "nls_cp437", "nls_ascii", "isofs"};

// "kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz" -> "vfat".
std::string module_name(std::string_view dep_line) {
  std::string_view path = dep_line.substr(0, dep_line.find(':'));
  std::string_view leaf = path.substr(path.rfind('/') + 1);
  return std::string(leaf.substr(0, leaf.find(".ko")));
}

}  // namespace

std::vector<std::string> seed_fs_modules(const RootDir& root) {
  const std::string modules_dir = root.resolve("/usr/lib/modules");
  if (!is_directory(modules_dir)) return {};
  std::optional<std::set<std::string>> in_every_kernel;
  for (const auto& kernel : list_dir(modules_dir)) {
    auto dep = root.read_file("/usr/lib/modules/" + kernel + "/modules.dep");
    if (!dep) continue;  // a stray directory, not a kernel's modules
    std::set<std::string> loadable;
    for (const auto& line : split(*dep, '\n')) {
      if (!line.empty()) loadable.insert(module_name(line));
    }
    if (!in_every_kernel) {
      in_every_kernel = loadable;
      continue;
    }
    std::set<std::string> both;
    std::set_intersection(in_every_kernel->begin(), in_every_kernel->end(), loadable.begin(),
                          loadable.end(), std::inserter(both, both.begin()));
    in_every_kernel = std::move(both);
  }
  std::vector<std::string> out;
  if (!in_every_kernel) return out;
  for (const char* name : kWanted) {
    if (in_every_kernel->count(name) != 0) out.emplace_back(name);
  }
  return out;
}

std::vector<std::string> install_seed_fs_modules(const RootDir& root) {
  std::vector<std::string> modules = seed_fs_modules(root);
  if (modules.empty()) {
    root.remove(kSeedModulesConf);
    return modules;
  }
  std::string text =
      "# Written by kiln: the file systems a cloud-init seed volume (CIDATA,\n"
      "# config-2) can have, loaded at boot so that kiln-firstboot's mount does\n"
      "# not wait for modprobe.\n";
  for (const auto& m : modules) text += m + "\n";
  root.mkdirs("/usr/lib/modules-load.d");
  root.write_file(kSeedModulesConf, text, 0644, std::pair{0U, 0U});
  return modules;
}

}  // namespace kiln
