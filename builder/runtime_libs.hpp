// The shared libraries a binary needs at run time (its ELF interpreter,
// DT_NEEDED sonames and those its .note.dlopen names, followed
// transitively), looked up inside a root the way the dynamic loader would:
// the directories of the root's /etc/ld.so.conf plus the standard ones.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/root_dir.hpp"

namespace kiln {

std::vector<std::string> library_search_dirs(const RootDir& root);
// The path (inside root) under which the loader would find `soname`.
std::optional<std::string> find_library(const RootDir& root, const std::vector<std::string>& dirs,
                                        const std::string& soname);

// Throws (exit 4) when `root` lacks the interpreter or a library that the
// host file `binary` needs, directly or through another library. `what`
// names the binary in the message.
void check_runtime_libraries(const RootDir& root, const std::string& binary,
                             const std::string& what);

// The Debian packages of this host that provide the libraries `binary` lists
// as DT_NEEDED or in its .note.dlopen (the image's package manager brings
// their dependencies),
// found with `dpkg -S`. Sorted, without duplicates.
std::vector<std::string> host_packages_for_libraries(const std::string& binary);

}  // namespace kiln
