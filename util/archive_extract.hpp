// Reading archives with libarchive: whole trees extracted with every piece of
// metadata (owners as numbers, modes, xattrs such as security.capability,
// ACLs, file flags, times) under the SECURE flags, and single members
// streamed out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/archive_ptr.hpp"

namespace kiln {

enum class ArchiveFormats {
  Tar,       // ustar, pax, GNU tar
  TarOrZip,  // also zip
};

// Opens `path` for reading, with any compression libarchive knows (gzip,
// zstd, xz, bzip2, ...). Throws "open archive 'path': reason".
ArchivePtr open_archive_file(const std::string& path, ArchiveFormats formats);

// Writes the current entry's data to `fd`.
void copy_archive_data(struct archive* a, int fd, std::string_view archive_name,
                       std::string_view out_name);

struct ExtractOptions {
  // When creating a device node is not permitted (an unprivileged user
  // namespace), skip it instead of failing. Images get /dev from devtmpfs.
  bool skip_unpermitted_devices = false;
  // Compressed bytes read so far and the archive's size.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

struct ExtractStats {
  uint64_t entries = 0;
  uint64_t skipped_devices = 0;
};

// Extracts a tar archive into the existing directory `dest`. Ownership is
// taken from the archive's numeric ids (never looked up on this host). Every
// libarchive warning is an error: a tree that silently lost its file
// capabilities is worse than a failed build. Honours cancellation.
ExtractStats extract_tree(const std::string& archive, const std::string& dest,
                          const ExtractOptions& options = {});

// A member name as the relative path it stands for: "./a//b/" and "/a/b"
// are both "a/b"; the root is "".
std::string archive_member_key(std::string_view name);

// Streams the regular-file member `member` ("./" prefixes ignored) into
// `out_fd`. Returns false when the archive has no such member.
bool extract_member(const std::string& archive, const std::string& member, int out_fd,
                    std::string_view out_name);

}  // namespace kiln
