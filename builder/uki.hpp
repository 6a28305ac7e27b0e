// A unified kernel image: systemd-stub with the kernel, initramfs, kernel
// command line and os-release added as PE sections (what ukify does; Debian
// 12 has no ukify, so objcopy places the sections).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

struct PeSection {
  std::string name;
  uint64_t vma = 0;    // ImageBase + VirtualAddress
  uint64_t vsize = 0;  // VirtualSize
  uint64_t file_offset = 0;
  uint64_t file_size = 0;  // SizeOfRawData
};

struct PeImage {
  uint64_t image_base = 0;
  uint64_t section_alignment = 0;
  std::vector<PeSection> sections;
};

// Parses the PE32+ headers of an EFI binary; a file that is not one is an
// error naming it.
PeImage read_pe(const std::string& path);

struct UkiInputs {
  std::string stub;    // linuxx64.efi.stub
  std::string kernel;  // vmlinuz
  std::string initrd;
  std::string cmdline;     // the command line itself (not a path)
  std::string os_release;  // path of the os-release file
  int64_t epoch = 0;       // the PE header's timestamp
};

// Writes the UKI to `out` (through a temp file in `work_dir` for the
// command line). Sections are placed after the stub's last one, each aligned.
void build_uki(const UkiInputs& in, const std::string& out, const std::string& work_dir);

// The systemd-stub to use: the image's own when it has systemd-boot-efi,
// else the build host's; exit 4 naming both places when neither exists.
std::string find_efi_stub(const std::string& rootfs_dir);

}  // namespace kiln
