#include "util/archive_extract.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstring>
#include <mutex>
#include <optional>

#include <sys/stat.h>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

// The cwd is where libarchive's disk writer resolves relative names, and the
// SECURE flags refuse absolute ones; so extraction runs with the destination
// as cwd, restored afterwards.
class CwdGuard {
 public:
  explicit CwdGuard(const std::string& dir) : saved_(open_file(".", O_RDONLY | O_DIRECTORY)) {
    UniqueFd target = open_file(dir, O_RDONLY | O_DIRECTORY);
    if (::fchdir(target.get()) != 0) throw_errno("change directory to", dir);
  }
  CwdGuard(const CwdGuard&) = delete;
  CwdGuard& operator=(const CwdGuard&) = delete;
  ~CwdGuard() { (void)!::fchdir(saved_.get()); }

 private:
  UniqueFd saved_;
};

// A disk-side failure: libarchive's words plus the errno's, which carry what
// a user can act on ("No space left on device").
[[noreturn]] void disk_failure(struct archive* a, std::string_view verb, const std::string& path) {
  const char* msg = archive_error_string(a);
  int err = archive_errno(a);
  std::string text = std::string(verb) + " '" + path + "': " + (msg != nullptr ? msg : "failed");
  if (err > 0 && text.find(std::strerror(err)) == std::string::npos) {
    text += " (" + std::string(std::strerror(err)) + ")";
  }
  throw Error(text, 1, err);
}

std::string entry_name(struct archive_entry* e) {
  const char* p = archive_entry_pathname(e);
  return p != nullptr ? p : "";
}

// libarchive converts member names between the archive's UTF-8 and the
// locale's character set; under the C locale (ASCII) any non-ASCII name
// fails to convert. Names are bytes to kiln, so use a UTF-8 C locale.
void use_utf8_ctype() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* cur = std::setlocale(LC_CTYPE, nullptr);
    if (cur == nullptr || std::string_view(cur) == "C" || std::string_view(cur) == "POSIX") {
      std::setlocale(LC_CTYPE, "C.UTF-8");
    }
  });
}

}  // namespace

std::string archive_member_key(std::string_view name) {
  while (name.starts_with("./")) name.remove_prefix(2);
  while (name.starts_with("/")) name.remove_prefix(1);
  std::string n = normalize_path(name);
  return n == "." ? "" : n;
}

ArchivePtr open_archive_file(const std::string& path, ArchiveFormats formats) {
  use_utf8_ctype();
  ArchivePtr a = new_archive_reader();
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (formats == ArchiveFormats::TarOrZip) archive_read_support_format_zip(a.get());
  archive_check(a.get(), archive_read_open_filename(a.get(), path.c_str(), 1 << 16), "open archive",
                path);
  return a;
}

void copy_archive_data(struct archive* a, int fd, std::string_view archive_name,
                       std::string_view out_name) {
  char buf[1 << 16];
  while (true) {
    throw_if_interrupted();
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) archive_check(a, static_cast<int>(n), "read archive", archive_name);
    if (n == 0) return;
    write_all(fd, std::string_view(buf, static_cast<size_t>(n)), out_name);
  }
}

ExtractStats extract_tree(const std::string& archive, const std::string& dest,
                          const ExtractOptions& options) {
  ArchivePtr in = open_archive_file(archive, ArchiveFormats::Tar);
  ArchivePtr out = new_archive_disk_writer();
  int flags = kArchiveSecureExtractFlags | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
              ARCHIVE_EXTRACT_TIME;
  archive_check(out.get(), archive_write_disk_set_options(out.get(), flags), "extract into", dest);
  // No archive_write_disk_set_standard_lookup: owners stay the archive's
  // numbers; this host's user names mean nothing for an image.
  uint64_t total = 0;
  if (auto st = lstat_path(archive)) total = static_cast<uint64_t>(st->st_size);

  CwdGuard cwd(dest);
  ExtractStats stats;
  struct archive_entry* entry = nullptr;
  while (true) {
    throw_if_interrupted();
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      archive_check(in.get(), rc < ARCHIVE_WARN ? rc : ARCHIVE_FATAL, "read archive", archive);
    }
    const std::string name = entry_name(entry);
    const mode_t type = archive_entry_filetype(entry);
    rc = archive_write_header(out.get(), entry);
    if (rc != ARCHIVE_OK) {
      int err = archive_errno(out.get());
      if (options.skip_unpermitted_devices && (type == AE_IFCHR || type == AE_IFBLK) &&
          (err == EPERM || err == EACCES)) {
        ++stats.skipped_devices;
        continue;
      }
      disk_failure(out.get(), "extract", dest + "/" + name);
    }
    if (archive_entry_size(entry) > 0) {
      char buf[1 << 16];
      while (true) {
        throw_if_interrupted();
        la_ssize_t n = archive_read_data(in.get(), buf, sizeof buf);
        if (n < 0) archive_check(in.get(), static_cast<int>(n), "read archive", archive);
        if (n == 0) break;
        la_ssize_t w = archive_write_data(out.get(), buf, static_cast<size_t>(n));
        if (w < 0) disk_failure(out.get(), "write", dest + "/" + name);
      }
    }
    rc = archive_write_finish_entry(out.get());
    if (rc != ARCHIVE_OK) disk_failure(out.get(), "extract", dest + "/" + name);
    ++stats.entries;
    if (options.on_progress && (stats.entries % 256) == 0) {
      options.on_progress(static_cast<uint64_t>(archive_filter_bytes(in.get(), -1)), total);
    }
  }
  // Directory times and modes are fixed up on close.
  int rc = archive_write_close(out.get());
  if (rc != ARCHIVE_OK) disk_failure(out.get(), "extract into", dest);
  if (options.on_progress) options.on_progress(total, total);
  return stats;
}

bool extract_member(const std::string& archive, const std::string& member, int out_fd,
                    std::string_view out_name) {
  std::string want = archive_member_key(member);
  // A hard link's data lives in the entry it links to; follow a few.
  for (int hops = 0; hops < 8; ++hops) {
    ArchivePtr a = open_archive_file(archive, ArchiveFormats::TarOrZip);
    struct archive_entry* entry = nullptr;
    std::optional<std::string> link_target;
    while (true) {
      throw_if_interrupted();
      int rc = archive_read_next_header(a.get(), &entry);
      if (rc == ARCHIVE_EOF) return false;
      if (rc != ARCHIVE_OK) {
        archive_check(a.get(), rc < ARCHIVE_WARN ? rc : ARCHIVE_FATAL, "read archive", archive);
      }
      if (archive_member_key(entry_name(entry)) != want) continue;
      if (const char* hl = archive_entry_hardlink(entry); hl != nullptr) {
        link_target = archive_member_key(hl);
        break;
      }
      if (archive_entry_filetype(entry) != AE_IFREG) {
        throw Error("extract '" + member + "' from '" + archive + "': not a regular file", 1,
                    EINVAL);
      }
      copy_archive_data(a.get(), out_fd, archive, out_name);
      return true;
    }
    want = *link_target;
  }
  throw Error("extract '" + member + "' from '" + archive + "': too many hard links", 1, ELOOP);
}

}  // namespace kiln
