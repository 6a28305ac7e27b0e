#include "builder/overlay_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "builder/build_context.hpp"
#include "builder/tree_hash.hpp"
#include "util/archive_extract.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln {
namespace {

constexpr size_t kManifestMaxBytes = 1 << 20;

std::string kind_name(mode_t type) {
  if (S_ISFIFO(type)) return "a FIFO";
  if (S_ISSOCK(type)) return "a socket";
  if (S_ISCHR(type)) return "a character device";
  if (S_ISBLK(type)) return "a block device";
  return "of an unsupported type";
}

[[noreturn]] void unsupported(const std::string& overlay, const std::string& member, mode_t type) {
  throw Error("overlay '" + overlay + "': member '" + member + "' is " + kind_name(type) +
                  "; overlays hold files, directories and symlinks",
              kExitInvalid);
}

// Reads `in` to the end, hashing it and copying it to `out` (when >= 0).
std::string pump(int in, int out, const std::string& in_name, const std::string& out_name) {
  Sha256 h;
  char buf[1 << 16];
  while (true) {
    throw_if_interrupted();
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", in_name);
    }
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
    if (out >= 0) write_all(out, std::string_view(buf, static_cast<size_t>(n)), out_name);
  }
  return h.hex_digest();
}

struct DirectoryReader {
  const std::string& overlay;
  const std::string& source;
  OverlayWriter* writer;
  TreeHasher hasher;
  OverlaySourceResult result;

  void walk(int dirfd, const std::string& rel) {
    const std::string shown_dir = rel.empty() ? source : source + "/" + rel;
    for (const auto& name : list_dir_at(dirfd, shown_dir)) {
      throw_if_interrupted();
      const std::string member = rel.empty() ? name : rel + "/" + name;
      const std::string shown = source + "/" + member;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat", shown);
      EntryMeta meta;
      meta.mode = st.st_mode & 07755;  // drop group/other write
      meta.mtime = st.st_mtim;
      ++result.entries;
      if (S_ISDIR(st.st_mode)) {
        hasher.directory(member, meta.mode, 0, 0);
        if (writer != nullptr) writer->directory(member, meta);
        UniqueFd sub = open_file_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        walk(sub.get(), member);
      } else if (S_ISREG(st.st_mode)) {
        UniqueFd in = open_file_at(dirfd, name, O_RDONLY | O_NOFOLLOW);
        if (rel.empty() && name == kOverlayManifestName) {
          std::string text = read_fd(in.get(), shown, kManifestMaxBytes);
          hasher.file(member, meta.mode, 0, 0, sha256_hex(text));
          result.manifest = std::move(text);
          continue;
        }
        std::string digest;
        if (writer != nullptr) {
          writer->file(member, meta, [&](int out) { digest = pump(in.get(), out, shown, member); });
        } else {
          digest = pump(in.get(), -1, shown, member);
        }
        hasher.file(member, meta.mode, 0, 0, digest);
      } else if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf - 1);
        if (n < 0) throw_errno("read link", shown);
        std::string target(buf, static_cast<size_t>(n));
        meta.mode = 0777;
        hasher.symlink(member, target, 0, 0);
        if (writer != nullptr) writer->symlink(member, target, meta);
      } else {
        unsupported(overlay, member, st.st_mode);
      }
    }
  }
};

OverlaySourceResult read_directory(const std::string& overlay, const std::string& source,
                                   OverlayWriter* writer) {
  DirectoryReader r{overlay, source, writer, {}, {}};
  UniqueFd top = open_file(source, O_RDONLY | O_DIRECTORY);
  r.walk(top.get(), "");
  r.result.tree_sha256 = r.hasher.hex_digest();
  return r.result;
}

OverlaySourceResult read_tarball(const std::string& overlay, const std::string& source,
                                 OverlayWriter* writer) {
  ArchivePtr a = open_archive_file(source, ArchiveFormats::Tar);
  TreeHasher hasher;
  OverlaySourceResult result;
  struct archive_entry* e = nullptr;
  while (true) {
    throw_if_interrupted();
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      archive_check(a.get(), rc < ARCHIVE_WARN ? rc : ARCHIVE_FATAL, "read archive", source);
    }
    const char* raw = archive_entry_pathname(e);
    const std::string member = check_member(overlay, raw != nullptr ? raw : "");
    if (member.empty()) continue;  // "./": the image root is not the overlay's to change
    ++result.entries;
    EntryMeta meta;
    meta.mode = archive_entry_perm(e) & 07777;
    meta.uid = static_cast<uid_t>(archive_entry_uid(e));
    meta.gid = static_cast<gid_t>(archive_entry_gid(e));
    if (archive_entry_mtime_is_set(e) != 0) {
      meta.mtime = timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    }
    archive_entry_xattr_reset(e);
    const char* xname = nullptr;
    const void* xvalue = nullptr;
    size_t xsize = 0;
    while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
      meta.xattrs.emplace_back(xname, std::string(static_cast<const char*>(xvalue), xsize));
    }
    const std::string shown = source + ":" + member;
    if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
      std::string target = check_member(overlay, hl);
      hasher.hardlink(member, target);
      if (writer != nullptr) writer->hardlink(member, target);
      continue;
    }
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) {
      hasher.directory(member, meta.mode, meta.uid, meta.gid);
      if (writer != nullptr) writer->directory(member, meta);
    } else if (type == AE_IFREG) {
      // The member's bytes are hashed as they stream into the image.
      Sha256 h;
      auto copy = [&](int out) {
        char buf[1 << 16];
        while (true) {
          throw_if_interrupted();
          la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
          if (n < 0) archive_check(a.get(), static_cast<int>(n), "read archive", source);
          if (n == 0) break;
          h.update(buf, static_cast<size_t>(n));
          if (out >= 0) write_all(out, std::string_view(buf, static_cast<size_t>(n)), shown);
        }
      };
      if (member == kOverlayManifestName) {
        std::string text;
        char buf[1 << 16];
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
          text.append(buf, static_cast<size_t>(n));
          if (text.size() > kManifestMaxBytes) {
            throw Error("read '" + shown + "': larger than 1 MiB", kExitInvalid);
          }
        }
        if (n < 0) archive_check(a.get(), static_cast<int>(n), "read archive", source);
        hasher.file(member, meta.mode, meta.uid, meta.gid, sha256_hex(text));
        result.manifest = std::move(text);
        continue;
      }
      if (writer != nullptr) {
        writer->file(member, meta, copy);
      } else {
        copy(-1);
      }
      hasher.file(member, meta.mode, meta.uid, meta.gid, h.hex_digest());
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      std::string target = t != nullptr ? t : "";
      hasher.symlink(member, target, meta.uid, meta.gid);
      if (writer != nullptr) writer->symlink(member, target, meta);
    } else {
      unsupported(overlay, member, type);
    }
  }
  result.tree_sha256 = hasher.hex_digest();
  return result;
}

}  // namespace

OverlaySourceResult read_overlay_source(const std::string& overlay_name, const std::string& source,
                                        OverlayWriter* writer) {
  if (is_directory(source)) return read_directory(overlay_name, source, writer);
  return read_tarball(overlay_name, source, writer);
}

}  // namespace kiln
