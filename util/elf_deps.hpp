// What a dynamically linked ELF file needs at run time: its program
// interpreter (PT_INTERP), the sonames it lists as DT_NEEDED, and those it
// loads with dlopen as its systemd-style .note.dlopen says. Parsed from the
// file itself (64-bit little-endian ELF), so no readelf is needed.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct ElfDeps {
  std::string interpreter;          // "/lib64/ld-linux-x86-64.so.2"; empty if static
  std::vector<std::string> needed;  // in the order the file lists them
  // From .note.dlopen notes (the first soname of each entry), in order.
  std::vector<std::string> dlopen;
};

// Throws "read ELF 'path': reason" when the file is not a 64-bit
// little-endian ELF or is malformed.
ElfDeps read_elf_deps(const std::string& path);
ElfDeps read_elf_deps_fd(int fd, const std::string& name);

}  // namespace kiln
