#include "util/archive_ptr.hpp"

#include <cerrno>
#include <string>

#include "util/error.hpp"

namespace kiln {
namespace {
ArchivePtr checked(struct archive* a, std::string_view what) {
  if (a == nullptr) throw Error(std::string(what) + ": out of memory", 1, ENOMEM);
  return ArchivePtr(a);
}
}  // namespace

ArchivePtr new_archive_reader() { return checked(archive_read_new(), "archive_read_new"); }
ArchivePtr new_archive_writer() { return checked(archive_write_new(), "archive_write_new"); }
ArchivePtr new_archive_disk_writer() {
  return checked(archive_write_disk_new(), "archive_write_disk_new");
}
ArchiveEntryPtr new_archive_entry() {
  struct archive_entry* e = archive_entry_new();
  if (e == nullptr) throw Error("archive_entry_new: out of memory", 1, ENOMEM);
  return ArchiveEntryPtr(e);
}

void archive_check(struct archive* a, int rc, std::string_view verb, std::string_view name) {
  if (rc >= ARCHIVE_WARN) return;
  const char* msg = archive_error_string(a);
  std::string text(verb);
  text += " '";
  text += name;
  text += "': ";
  text += msg != nullptr ? msg : "unknown libarchive error";
  throw Error(text, 1, archive_errno(a));
}

}  // namespace kiln
