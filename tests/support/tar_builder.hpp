// Builds tar archives for tests, entry by entry, with exact owners, modes,
// xattrs (file capabilities), symlinks, hard links and hostile names
// ("../x", "/abs") that a tar command would refuse to write.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <sys/sysmacros.h>

#include "util/archive_ptr.hpp"
#include "util/error.hpp"

namespace kiln::test {

class TarBuilder {
 public:
  enum class Compression { None, Gzip, Zstd };

  struct Entry {
    std::string path;
    unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, ...
    unsigned mode = 0644;
    long uid = 0;
    long gid = 0;
    std::string data;      // file contents
    std::string link;      // symlink target
    std::string hardlink;  // hard link target
    std::vector<std::pair<std::string, std::string>> xattrs;
  };

  TarBuilder& file(std::string path, std::string data, unsigned mode = 0644, long uid = 0,
                   long gid = 0) {
    Entry e;
    e.path = std::move(path);
    e.data = std::move(data);
    e.mode = mode;
    e.uid = uid;
    e.gid = gid;
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& dir(std::string path, unsigned mode = 0755, long uid = 0, long gid = 0) {
    Entry e;
    e.path = std::move(path);
    e.type = AE_IFDIR;
    e.mode = mode;
    e.uid = uid;
    e.gid = gid;
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& symlink(std::string path, std::string target) {
    Entry e;
    e.path = std::move(path);
    e.type = AE_IFLNK;
    e.mode = 0777;
    e.link = std::move(target);
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& hardlink(std::string path, std::string target) {
    Entry e;
    e.path = std::move(path);
    e.hardlink = std::move(target);
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& entry(Entry e) {
    entries_.push_back(std::move(e));
    return *this;
  }
  // Adds an xattr to the last entry.
  TarBuilder& xattr(std::string name, std::string value) {
    entries_.back().xattrs.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  void write(const std::string& out, Compression c = Compression::None) const {
    ArchivePtr w = new_archive_writer();
    archive_write_set_format_pax(w.get());
    if (c == Compression::Gzip) archive_write_add_filter_gzip(w.get());
    if (c == Compression::Zstd) archive_write_add_filter_zstd(w.get());
    archive_check(w.get(), archive_write_open_filename(w.get(), out.c_str()), "create", out);
    for (const auto& e : entries_) {
      ArchiveEntryPtr ae = new_archive_entry();
      archive_entry_set_pathname(ae.get(), e.path.c_str());
      archive_entry_set_uid(ae.get(), e.uid);
      archive_entry_set_gid(ae.get(), e.gid);
      archive_entry_set_mtime(ae.get(), 1700000000, 0);
      if (!e.hardlink.empty()) {
        archive_entry_set_filetype(ae.get(), AE_IFREG);
        archive_entry_set_perm(ae.get(), e.mode);
        archive_entry_set_hardlink(ae.get(), e.hardlink.c_str());
        archive_entry_set_size(ae.get(), 0);
      } else {
        archive_entry_set_filetype(ae.get(), e.type);
        archive_entry_set_perm(ae.get(), e.mode);
        if (e.type == AE_IFLNK) archive_entry_set_symlink(ae.get(), e.link.c_str());
        if (e.type == AE_IFCHR) archive_entry_set_rdev(ae.get(), makedev(1, 3));
        archive_entry_set_size(ae.get(),
                               e.type == AE_IFREG ? static_cast<int64_t>(e.data.size()) : 0);
      }
      for (const auto& [name, value] : e.xattrs) {
        archive_entry_xattr_add_entry(ae.get(), name.c_str(), value.data(), value.size());
      }
      archive_check(w.get(), archive_write_header(w.get(), ae.get()), "write", e.path);
      if (e.type == AE_IFREG && e.hardlink.empty() && !e.data.empty()) {
        if (archive_write_data(w.get(), e.data.data(), e.data.size()) !=
            static_cast<la_ssize_t>(e.data.size())) {
          archive_check(w.get(), ARCHIVE_FATAL, "write", e.path);
        }
      }
    }
    archive_check(w.get(), archive_write_close(w.get()), "close", out);
  }

 private:
  std::vector<Entry> entries_;
};

// A v2 security.capability value granting `cap` (a CAP_* bit number) as
// permitted and effective, as `setcap cap_xxx+ep` writes it.
inline std::string file_capability(unsigned cap) {
  std::string v(20, '\0');
  auto put32 = [&](size_t at, uint32_t x) {
    for (int i = 0; i < 4; ++i)
      v[at + static_cast<size_t>(i)] = static_cast<char>((x >> (8 * i)) & 0xff);
  };
  put32(0, 0x02000000U | 0x000001U);              // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
  put32(4, cap < 32 ? (1U << cap) : 0);           // permitted, low word
  put32(8, 0);                                    // inheritable, low word
  put32(12, cap >= 32 ? (1U << (cap - 32)) : 0);  // permitted, high word
  put32(16, 0);                                   // inheritable, high word
  return v;
}

}  // namespace kiln::test
