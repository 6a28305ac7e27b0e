#include "airgap/layer_apply.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include <sys/stat.h>

#include "airgap/exit_codes.hpp"
#include "airgap/tar_reader.hpp"
#include "util/archive_ptr.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"

namespace kiln::airgap {
namespace {

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

// libarchive's disk writer resolves relative names against the cwd, and the
// SECURE flags refuse absolute ones, so extraction runs inside the root.
class CwdGuard {
 public:
  explicit CwdGuard(int dirfd) : saved_(open_file(".", O_RDONLY | O_DIRECTORY)) {
    if (::fchdir(dirfd) != 0) throw_errno("change directory to", "image root");
  }
  CwdGuard(const CwdGuard&) = delete;
  CwdGuard& operator=(const CwdGuard&) = delete;
  ~CwdGuard() { (void)!::fchdir(saved_.get()); }

 private:
  UniqueFd saved_;
};

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string leaf_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class LayerApplier {
 public:
  LayerApplier(const std::string& root, const std::string& name, const LayerApplyOptions& o)
      : root_(root), name_(name), options_(o) {}

  LayerApplyStats apply(InputStream& layer) {
    TarReader tar(layer, name_);
    ArchivePtr out = new_archive_disk_writer();
    int flags = kArchiveSecureExtractFlags | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
                ARCHIVE_EXTRACT_TIME;
    archive_check(out.get(), archive_write_disk_set_options(out.get(), flags), "extract into",
                  root_.path());
    CwdGuard cwd(root_.fd());
    while (auto m = tar.next()) {
      throw_if_interrupted();
      if (m->name == ".") continue;  // the root's own entry must not retouch the root
      std::string leaf = leaf_of(m->name);
      if (leaf == kOpaque) {
        opaque(parent_of(m->name));
        ++stats_.whiteouts;
        continue;
      }
      if (leaf.starts_with(kWhiteout)) {
        std::string target = parent_of(m->name) + "/" + leaf.substr(kWhiteout.size());
        if (target.starts_with("./")) target = target.substr(2);
        remove_lower(target);
        ++stats_.whiteouts;
        continue;
      }
      extract(tar, *m, out.get());
    }
    int rc = archive_write_close(out.get());
    if (rc != ARCHIVE_OK) archive_check(out.get(), ARCHIVE_FATAL, "extract into", root_.path());
    return stats_;
  }

 private:
  void mark(const std::string& path) {
    std::string p = path;
    while (!p.empty() && p != ".") {
      if (!written_.insert(p).second) break;
      p = parent_of(p);
    }
  }

  // Deletes what lower layers left at `path`; a missing path is fine.
  void remove_lower(const std::string& path) {
    std::string leaf;
    UniqueFd parent;
    try {
      parent = root_.open_parent(path, leaf, false);
    } catch (const Error& e) {
      if (e.err() == ENOENT || e.err() == ENOTDIR) return;
      throw;
    }
    remove_tree_at(parent.get(), leaf);
  }

  // Empties `dir` of everything not written by this layer.
  void opaque(const std::string& dir) {
    UniqueFd fd;
    try {
      fd = dir == "." ? open_file_at(root_.fd(), ".", O_RDONLY | O_DIRECTORY)
                      : root_.open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (const Error& e) {
      if (e.err() == ENOENT || e.err() == ENOTDIR || e.err() == ELOOP) return;
      throw;
    }
    for (const auto& child : list_dir_at(fd.get(), dir)) {
      std::string path = dir == "." ? child : dir + "/" + child;
      if (written_.count(path) == 0) remove_tree_at(fd.get(), child);
    }
  }

  void extract(TarReader& tar, const TarMember& m, struct archive* out) {
    // A directory replaces a file and a file replaces a directory; libarchive
    // would refuse the second.
    if (auto st = root_.lstat(m.name)) {
      bool is_dir = S_ISDIR(st->st_mode);
      if (is_dir != (m.type == TarMember::Type::Directory)) remove_lower(m.name);
    }
    archive_entry_set_pathname(m.entry, m.name.c_str());
    if (m.type == TarMember::Type::Hardlink) archive_entry_set_hardlink(m.entry, m.link.c_str());
    const mode_t type = archive_entry_filetype(m.entry);
    int rc = archive_write_header(out, m.entry);
    if (rc != ARCHIVE_OK) {
      int err = archive_errno(out);
      if (options_.skip_unpermitted_devices && (type == AE_IFCHR || type == AE_IFBLK) &&
          (err == EPERM || err == EACCES)) {
        ++stats_.skipped_devices;
        return;
      }
      fail(out, m.name);
    }
    if (m.type == TarMember::Type::File && m.size > 0) {
      std::vector<char> buf(kChunkSize);
      while (size_t n = tar.data().read(buf.data(), buf.size())) {
        if (archive_write_data(out, buf.data(), n) < 0) fail(out, m.name);
      }
    }
    if (archive_write_finish_entry(out) != ARCHIVE_OK) fail(out, m.name);
    mark(m.name);
    ++stats_.entries;
  }

  [[noreturn]] void fail(struct archive* out, const std::string& member) const {
    const char* msg = archive_error_string(out);
    throw Error("extract '" + member + "' of " + name_ + ": " +
                    (msg != nullptr ? msg : "unknown libarchive error"),
                kExitRuntime, archive_errno(out));
  }

  RootDir root_;
  std::string name_;
  LayerApplyOptions options_;
  std::set<std::string> written_;
  LayerApplyStats stats_;
};

}  // namespace

LayerApplyStats apply_layer(InputStream& layer, const std::string& name, const std::string& root,
                            const LayerApplyOptions& options) {
  LayerApplier a(root, name, options);
  return a.apply(layer);
}

}  // namespace kiln::airgap
