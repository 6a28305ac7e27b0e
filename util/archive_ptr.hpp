// RAII for libarchive handles and entries.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string_view>

#include "util/c_ptr.hpp"

namespace kiln {

using ArchivePtr = CPtr<struct archive, archive_free>;
using ArchiveEntryPtr = CPtr<struct archive_entry, archive_entry_free>;

ArchivePtr new_archive_reader();     // archive_read_new, or throws
ArchivePtr new_archive_writer();     // archive_write_new, or throws
ArchivePtr new_archive_disk_writer();  // archive_write_disk_new, or throws
ArchiveEntryPtr new_archive_entry();   // archive_entry_new, or throws

// Throws "VERB 'NAME': <libarchive's message>" when rc < ARCHIVE_WARN.
void archive_check(struct archive* a, int rc, std::string_view verb, std::string_view name);

// The SECURE flags every extraction uses: no '..', no absolute paths, no
// writing through symlinks.
constexpr int kArchiveSecureExtractFlags =
    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

}  // namespace kiln
