#include "builder/runtime_libs.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <set>

#include "builder/build_context.hpp"
#include "util/elf_deps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Reads an ld.so.conf file: directories, and "include GLOB" lines whose glob
// is "DIR/*SUFFIX" (the only form Debian uses).
void read_ld_so_conf(const RootDir& root, const std::string& file, std::vector<std::string>& dirs,
                     int depth) {
  if (depth > 4) return;
  auto text = root.read_file(file, 1 << 20);
  if (!text) return;
  for (const auto& raw : split(*text, '\n')) {
    std::string line(trim(raw.substr(0, raw.find('#'))));
    if (line.empty()) continue;
    if (line.starts_with("include")) {
      std::string pattern(trim(std::string_view(line).substr(7)));
      if (!pattern.starts_with("/")) pattern = dirname_of(file) + "/" + pattern;
      std::string dir = dirname_of(pattern);
      std::string glob = basename_of(pattern);
      if (!glob.starts_with("*")) continue;
      std::string suffix = glob.substr(1);
      std::string host_dir;
      try {
        host_dir = root.resolve(dir);
      } catch (const Error&) {
        continue;
      }
      if (!is_directory(host_dir)) continue;
      for (const auto& name : list_dir(host_dir)) {
        if (name.ends_with(suffix)) read_ld_so_conf(root, dir + "/" + name, dirs, depth + 1);
      }
    } else if (line.starts_with("/")) {
      add_unique(dirs, normalize_path(line));
    }
  }
}

bool opens_in_root(const RootDir& root, const std::string& path) {
  try {
    (void)root.open(path, O_RDONLY);
    return true;
  } catch (const Error& e) {
    if (e.err() == ENOENT || e.err() == ENOTDIR || e.err() == ELOOP) return false;
    throw;
  }
}

}  // namespace

std::vector<std::string> library_search_dirs(const RootDir& root) {
  std::vector<std::string> dirs;
  read_ld_so_conf(root, "/etc/ld.so.conf", dirs, 0);
  for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                        "/usr/lib64", "/lib", "/usr/lib"}) {
    add_unique(dirs, d);
  }
  return dirs;
}

std::optional<std::string> find_library(const RootDir& root, const std::vector<std::string>& dirs,
                                        const std::string& soname) {
  if (soname.find('/') != std::string::npos) {
    return opens_in_root(root, soname) ? std::optional(soname) : std::nullopt;
  }
  for (const auto& d : dirs) {
    std::string p = d + "/" + soname;
    if (opens_in_root(root, p)) return p;
  }
  return std::nullopt;
}

void check_runtime_libraries(const RootDir& root, const std::string& binary,
                             const std::string& what) {
  ElfDeps deps = read_elf_deps(binary);
  if (!deps.interpreter.empty() && !opens_in_root(root, deps.interpreter)) {
    throw Error("the image lacks '" + deps.interpreter + "', the dynamic loader " + what + " needs",
                kExitMissingInput);
  }
  const auto dirs = library_search_dirs(root);
  // (soname, who needs it); breadth first so messages name the shortest chain.
  std::deque<std::pair<std::string, std::string>> todo;
  for (const auto& n : deps.needed) todo.emplace_back(n, what);
  // Loaded with dlopen when first used, so not in DT_NEEDED: the image
  // needs them all the same (a library's own dlopen notes are its business).
  for (const auto& n : deps.dlopen) todo.emplace_back(n, what + " (loaded on demand)");
  std::set<std::string> seen;
  while (!todo.empty()) {
    auto [soname, needed_by] = todo.front();
    todo.pop_front();
    if (!seen.insert(soname).second) continue;
    auto found = find_library(root, dirs, soname);
    if (!found) {
      throw Error("the image lacks the library '" + soname + "', which " + needed_by +
                      " needs (searched " + join(dirs, ":") + ")",
                  kExitMissingInput);
    }
    UniqueFd fd = root.open(*found, O_RDONLY);
    ElfDeps lib = read_elf_deps_fd(fd.get(), root.path() + *found);
    for (const auto& n : lib.needed) todo.emplace_back(n, soname + " (for " + what + ")");
  }
}

namespace {

// Asks dpkg once for every path: "pkg[:arch][, pkg2]: /path" lines on stdout
// for the paths it knows (it exits 1 when some are unknown).
std::map<std::string, std::string> dpkg_owners(const std::vector<std::string>& paths) {
  std::map<std::string, std::string> owners;
  if (paths.empty()) return owners;
  std::vector<std::string> argv{"dpkg-query", "-S"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  RunOptions o;
  o.check = false;
  RunResult r = run(argv, o);
  for (const auto& line : split(r.out, '\n')) {
    if (line.starts_with("diversion ")) continue;
    size_t sep = line.find(": ");
    if (sep == std::string::npos) continue;
    std::string package = line.substr(0, sep);
    package = package.substr(0, package.find(','));
    package = package.substr(0, package.find(':'));
    owners[line.substr(sep + 2)] = package;
  }
  return owners;
}

// dpkg knows a merged-/usr file under the name its package shipped it.
std::string usr_twin(const std::string& path) {
  return path.starts_with("/usr/") ? path.substr(4) : "/usr" + path;
}

}  // namespace

std::vector<std::string> host_packages_for_libraries(const std::string& binary) {
  ElfDeps deps = read_elf_deps(binary);
  RootDir host("/");
  const auto dirs = library_search_dirs(host);
  std::vector<std::pair<std::string, std::string>> libs;  // soname, host path
  std::vector<std::string> sonames = deps.needed;
  sonames.insert(sonames.end(), deps.dlopen.begin(), deps.dlopen.end());
  for (const auto& soname : sonames) {
    auto path = find_library(host, dirs, soname);
    if (!path) {
      throw Error(
          "find '" + soname + "': this host has no such library, yet '" + binary + "' needs it",
          kExitMissingInput);
    }
    libs.emplace_back(soname, *path);
  }
  std::vector<std::string> queries;
  for (const auto& [soname, path] : libs) {
    queries.push_back(path);
    queries.push_back(usr_twin(path));
  }
  auto owners = dpkg_owners(queries);
  std::set<std::string> packages;
  for (const auto& [soname, path] : libs) {
    auto it = owners.find(path);
    if (it == owners.end()) it = owners.find(usr_twin(path));
    if (it == owners.end()) {
      throw Error("find the package of '" + path + "': dpkg-query -S knows no package with it (" +
                      soname + ", needed by '" + binary + "')",
                  kExitMissingInput);
    }
    packages.insert(it->second);
  }
  return {packages.begin(), packages.end()};
}

}  // namespace kiln
