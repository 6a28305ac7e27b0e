#include "util/elf_deps.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

class ElfFile {
 public:
  ElfFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw_errno("read ELF", name_);
    size_ = static_cast<uint64_t>(st.st_size);
  }

  template <typename T>
  T read_at(uint64_t offset) const {
    T v{};
    if (offset > size_ || size_ - offset < sizeof(T)) fail("truncated file");
    ssize_t n = ::pread(fd_, &v, sizeof v, static_cast<off_t>(offset));
    if (n < 0) throw_errno("read ELF", name_);
    if (static_cast<size_t>(n) != sizeof v) fail("truncated file");
    return v;
  }

  std::string read_string(uint64_t offset) const {
    std::string out;
    char buf[256];
    while (true) {
      if (offset >= size_) fail("string runs past the end of the file");
      ssize_t n = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(offset));
      if (n <= 0) fail("cannot read a string");
      const char* end = static_cast<const char*>(std::memchr(buf, 0, static_cast<size_t>(n)));
      if (end != nullptr) return out.append(buf, static_cast<size_t>(end - buf));
      out.append(buf, static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
      if (out.size() > 4096) fail("string too long");
    }
  }

  std::string read_bytes(uint64_t offset, uint64_t n) const {
    if (offset > size_ || size_ - offset < n) fail("truncated file");
    std::string out(n, '\0');
    ssize_t got = ::pread(fd_, out.data(), n, static_cast<off_t>(offset));
    if (got < 0) throw_errno("read ELF", name_);
    if (static_cast<uint64_t>(got) != n) fail("truncated file");
    return out;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw Error("read ELF '" + name_ + "': " + why, 1, ENOEXEC);
  }

 private:
  int fd_;
  std::string name_;
  uint64_t size_ = 0;
};

// systemd's ELF dlopen metadata (https://systemd.io/ELF_DLOPEN_METADATA/):
// notes owned by "FDO" of type 0x407c0c0a whose descriptor is a JSON array
// of {"soname": [alternatives...], ...}. The first alternative of each
// entry is kept. Notes this reader does not understand are skipped: they
// are metadata, not something the binary cannot run without.
void read_dlopen_notes(const ElfFile& f, const Elf64_Phdr& p, std::vector<std::string>& out) {
  constexpr uint32_t kDlopenNoteType = 0x407c0c0a;
  const uint64_t align = p.p_align == 8 ? 8 : 4;
  auto padded = [&](uint64_t n) { return (n + align - 1) & ~(align - 1); };
  uint64_t off = p.p_offset;
  const uint64_t end = p.p_offset + p.p_filesz;
  while (off + sizeof(Elf64_Nhdr) <= end) {
    auto nh = f.read_at<Elf64_Nhdr>(off);
    const uint64_t name_at = off + sizeof(Elf64_Nhdr);
    const uint64_t desc_at = name_at + padded(nh.n_namesz);
    const uint64_t next = desc_at + padded(nh.n_descsz);
    if (next > end) return;
    if (nh.n_type == kDlopenNoteType && nh.n_namesz == 4 &&
        f.read_bytes(name_at, 4) == std::string("FDO\0", 4)) {
      std::string desc = f.read_bytes(desc_at, nh.n_descsz);
      desc.resize(std::strlen(desc.c_str()));
      auto j = nlohmann::json::parse(desc, nullptr, false);
      if (j.is_array()) {
        for (const auto& entry : j) {
          if (!entry.is_object()) continue;
          auto names = entry.find("soname");
          if (names != entry.end() && names->is_array() && !names->empty() &&
              names->front().is_string()) {
            out.push_back(names->front().get<std::string>());
          }
        }
      }
    }
    off = next;
  }
}

}  // namespace

ElfDeps read_elf_deps_fd(int fd, const std::string& name) {
  ElfFile f(fd, name);
  char magic[SELFMAG] = {};
  if (::pread(fd, magic, SELFMAG, 0) != SELFMAG || std::memcmp(magic, ELFMAG, SELFMAG) != 0) {
    f.fail("not an ELF file");
  }
  auto eh = f.read_at<Elf64_Ehdr>(0);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    f.fail("not a 64-bit little-endian ELF file");
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) f.fail("unexpected program header size");
  std::vector<Elf64_Phdr> phdrs;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    phdrs.push_back(f.read_at<Elf64_Phdr>(eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr)));
  }
  // Dynamic-section addresses are virtual; PT_LOAD maps them to offsets.
  auto to_offset = [&](uint64_t vaddr) -> uint64_t {
    for (const auto& p : phdrs) {
      if (p.p_type == PT_LOAD && vaddr >= p.p_vaddr && vaddr - p.p_vaddr < p.p_filesz) {
        return p.p_offset + (vaddr - p.p_vaddr);
      }
    }
    f.fail("address 0x" + std::to_string(vaddr) + " is not in a loaded segment");
  };
  ElfDeps deps;
  const Elf64_Phdr* dynamic = nullptr;
  for (const auto& p : phdrs) {
    if (p.p_type == PT_INTERP) deps.interpreter = f.read_string(p.p_offset);
    if (p.p_type == PT_DYNAMIC) dynamic = &p;
    if (p.p_type == PT_NOTE) read_dlopen_notes(f, p, deps.dlopen);
  }
  if (dynamic == nullptr) return deps;
  std::vector<uint64_t> needed_offsets;
  std::optional<uint64_t> strtab;
  for (uint64_t off = dynamic->p_offset;
       off + sizeof(Elf64_Dyn) <= dynamic->p_offset + dynamic->p_filesz; off += sizeof(Elf64_Dyn)) {
    auto d = f.read_at<Elf64_Dyn>(off);
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_NEEDED) needed_offsets.push_back(d.d_un.d_val);
    if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
  }
  if (needed_offsets.empty()) return deps;
  if (!strtab) f.fail("DT_NEEDED entries without a string table");
  uint64_t base = to_offset(*strtab);
  for (uint64_t o : needed_offsets) deps.needed.push_back(f.read_string(base + o));
  return deps;
}

ElfDeps read_elf_deps(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  return read_elf_deps_fd(fd.get(), path);
}

}  // namespace kiln
