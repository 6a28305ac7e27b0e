#include "builder/uki.hpp"

#include <fcntl.h>

#include <cstring>
#include <vector>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

constexpr const char* kStubRel = "usr/lib/systemd/boot/efi/linuxx64.efi.stub";

uint64_t le(const std::string& b, size_t off, size_t n, const std::string& path) {
  if (off + n > b.size()) throw Error("read PE headers of '" + path + "': file is truncated");
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(b[off + i])) << (8 * i);
  return v;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// objcopy (binutils 2.40) stamps the PE header with the current time and
// ignores SOURCE_DATE_EPOCH; set the timestamp and recompute the image
// checksum (the sum of 16-bit words with carries folded, plus the length).
void set_pe_timestamp(const std::string& path, int64_t epoch) {
  UniqueFd fd = open_file(path, O_RDWR);
  std::string head(4096, '\0');
  ssize_t got = ::pread(fd.get(), head.data(), head.size(), 0);
  if (got < 0) throw_errno("read", path);
  head.resize(static_cast<size_t>(got));
  const size_t pe = le(head, 0x3c, 4, path);
  const off_t stamp_at = static_cast<off_t>(pe + 8);
  const off_t checksum_at = static_cast<off_t>(pe + 24 + 64);
  uint8_t stamp[4];
  for (int i = 0; i < 4; ++i)
    stamp[i] = static_cast<uint8_t>((static_cast<uint64_t>(epoch) >> (8 * i)) & 0xff);
  if (::pwrite(fd.get(), stamp, 4, stamp_at) != 4) throw_errno("write", path);
  uint8_t zero[4] = {0, 0, 0, 0};
  if (::pwrite(fd.get(), zero, 4, checksum_at) != 4) throw_errno("write", path);

  uint64_t sum = 0;
  uint64_t length = 0;
  std::vector<uint8_t> buf(1 << 20);
  while (true) {
    ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(length));
    if (n < 0) throw_errno("read", path);
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i += 2) {
      uint32_t word = buf[static_cast<size_t>(i)];
      if (i + 1 < n) word |= static_cast<uint32_t>(buf[static_cast<size_t>(i) + 1]) << 8;
      sum += word;
      sum = (sum & 0xffff) + (sum >> 16);
    }
    length += static_cast<uint64_t>(n);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  uint32_t checksum = static_cast<uint32_t>(sum + length);
  uint8_t out[4];
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>((checksum >> (8 * i)) & 0xff);
  if (::pwrite(fd.get(), out, 4, checksum_at) != 4) throw_errno("write", path);
}

}  // namespace

PeImage read_pe(const std::string& path) {
  // The headers fit in the first 4 KiB of any EFI binary we handle.
  UniqueFd fd = open_file(path, O_RDONLY);
  std::string b(4096, '\0');
  ssize_t n = ::pread(fd.get(), b.data(), b.size(), 0);
  if (n < 0) throw_errno("read", path);
  b.resize(static_cast<size_t>(n));
  if (b.size() < 64 || b[0] != 'M' || b[1] != 'Z') {
    throw Error("read PE headers of '" + path + "': not a PE/EFI binary (no MZ header)");
  }
  size_t pe = le(b, 0x3c, 4, path);
  if (le(b, pe, 4, path) != 0x00004550) {
    throw Error("read PE headers of '" + path + "': not a PE/EFI binary (no PE signature)");
  }
  size_t coff = pe + 4;
  size_t nsections = le(b, coff + 2, 2, path);
  size_t opt_size = le(b, coff + 16, 2, path);
  size_t opt = coff + 20;
  if (le(b, opt, 2, path) != 0x20b) {
    throw Error("read PE headers of '" + path + "': not a 64-bit (PE32+) EFI binary");
  }
  PeImage img;
  img.image_base = le(b, opt + 24, 8, path);
  img.section_alignment = le(b, opt + 32, 4, path);
  size_t table = opt + opt_size;
  for (size_t i = 0; i < nsections; ++i) {
    size_t s = table + i * 40;
    PeSection sec;
    std::string raw_name = b.substr(s, 8);
    sec.name = raw_name.substr(0, raw_name.find('\0'));
    sec.vsize = le(b, s + 8, 4, path);
    sec.vma = img.image_base + le(b, s + 12, 4, path);
    sec.file_size = le(b, s + 16, 4, path);
    sec.file_offset = le(b, s + 20, 4, path);
    img.sections.push_back(sec);
  }
  return img;
}

void build_uki(const UkiInputs& in, const std::string& out, const std::string& work_dir) {
  PeImage stub = read_pe(in.stub);
  uint64_t align = std::max<uint64_t>(4096, stub.section_alignment);
  uint64_t next = 0;
  for (const PeSection& s : stub.sections)
    next = std::max(next, s.vma + std::max(s.vsize, s.file_size));
  if (next == 0) throw Error("read PE headers of '" + in.stub + "': the stub has no sections");

  std::string cmdline_file = path_join(work_dir, "uki-cmdline");
  {
    UniqueFd fd = open_file(cmdline_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write_all(fd.get(), in.cmdline, cmdline_file);
  }
  std::vector<std::pair<std::string, std::string>> sections{{".osrel", in.os_release},
                                                            {".cmdline", cmdline_file},
                                                            {".linux", in.kernel},
                                                            {".initrd", in.initrd}};
  std::vector<std::string> argv{"objcopy"};
  for (const auto& [name, file] : sections) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) throw_errno("stat", file);
    next = (next + align - 1) / align * align;
    argv.push_back("--add-section");
    argv.push_back(name + "=" + file);
    argv.push_back("--change-section-vma");
    argv.push_back(name + "=" + hex(next));
    next += static_cast<uint64_t>(st.st_size);
  }
  argv.push_back(in.stub);
  argv.push_back(out);
  try {
    run(argv);
  } catch (Error& e) {
    e.set_exit_code(kExitToolFailed);
    e.add_context("while making the unified kernel image");
    throw;
  }
  set_pe_timestamp(out, in.epoch);
}

std::string find_efi_stub(const std::string& rootfs_dir) {
  RootDir root(rootfs_dir);
  if (root.exists(kStubRel)) return root.resolve(kStubRel);
  std::string host = std::string("/") + kStubRel;
  if (path_exists(host)) return host;
  throw Error(std::string("find systemd-stub '") + kStubRel +
                  "': neither the image nor this host has it; install systemd-boot-efi "
                  "(on the host, or in the image's package list)",
              kExitMissingInput, ENOENT);
}

}  // namespace kiln
