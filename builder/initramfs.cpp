#include "builder/initramfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/sparse_copy.hpp"
#include "util/atomic_file.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

constexpr const char* kKernelHint =
    "; add a kernel package (linux-image-amd64) to base.debian.packages";

bool has_modules(const RootDir& root, const std::string& version) {
  auto st = root.lstat("usr/lib/modules/" + version);
  if (!st) st = root.lstat("lib/modules/" + version);
  return st && S_ISDIR(st->st_mode);
}

// Feeds a file, directory tree or symlink into `h`: names, types, modes,
// owners, sizes, contents and link targets, in sorted order.
void hash_entry(Sha256& h, int dirfd, const std::string& name, const std::string& rel,
                const std::string& shown) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      h.update("absent " + rel + "\n");
      return;
    }
    throw_errno("stat", shown);
  }
  h.update(rel + " " + std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
           std::to_string(st.st_gid) + " ");
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) throw_errno("read link", shown);
    target.resize(static_cast<size_t>(n));
    h.update("-> " + target + "\n");
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd fd = open_file_at(dirfd, name, O_RDONLY | O_NOFOLLOW);
    h.update(std::to_string(st.st_size) + " " + sha256_fd(fd.get(), shown) + "\n");
  } else if (S_ISDIR(st.st_mode)) {
    h.update("dir\n");
    UniqueFd sub = open_file_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    for (const std::string& child : list_dir(shown)) {
      hash_entry(h, sub.get(), child, rel + "/" + child, shown + "/" + child);
    }
  } else {
    h.update(std::to_string(st.st_rdev) + "\n");
  }
}

// Removes a directory inside the tree when it goes out of scope.
class TreeTempDir {
 public:
  TreeTempDir(const RootDir& root, const std::string& parent_rel) {
    root.mkdirs(parent_rel, 01777);
    std::string tmpl = root.resolve(parent_rel) + "/kiln-initramfs.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw_errno("create directory in", tmpl);
    host_ = tmpl;
    rel_ = "/" + parent_rel + "/" + basename_of(tmpl);
  }
  TreeTempDir(const TreeTempDir&) = delete;
  TreeTempDir& operator=(const TreeTempDir&) = delete;
  ~TreeTempDir() {
    try {
      remove_tree(host_);
    } catch (const Error& e) {
      log_warning("could not remove '" + host_ + "': " + e.what());
    }
  }
  [[nodiscard]] const std::string& host() const { return host_; }
  [[nodiscard]] const std::string& inside() const { return rel_; }

 private:
  std::string host_;
  std::string rel_;
};

}  // namespace

KernelInfo find_kernel(const std::string& rootfs_dir) {
  RootDir root(rootfs_dir);
  std::vector<std::string> versions;
  if (root.exists("boot")) {
    for (const std::string& name : list_dir(root.resolve("boot"))) {
      if (name.rfind("vmlinuz-", 0) != 0) continue;
      std::string version = name.substr(8);
      if (has_modules(root, version)) versions.push_back(version);
    }
  }
  if (versions.empty()) {
    throw Error("find kernel in '" + rootfs_dir +
                    "': no /boot/vmlinuz-<version> with /usr/lib/modules/<version>" + kKernelHint,
                kExitMissingInput, ENOENT);
  }
  std::string chosen;
  if (auto st = root.lstat("vmlinuz"); st && S_ISLNK(st->st_mode)) {
    std::string target = basename_of(root.resolve("vmlinuz"));
    if (target.rfind("vmlinuz-", 0) == 0 &&
        std::find(versions.begin(), versions.end(), target.substr(8)) != versions.end()) {
      chosen = target.substr(8);
    }
  }
  if (chosen.empty()) {
    chosen = *std::max_element(versions.begin(), versions.end(),
                               [](const std::string& a, const std::string& b) {
                                 return ::strverscmp(a.c_str(), b.c_str()) < 0;
                               });
    if (versions.size() > 1) log_debug("several kernels in the image; booting " + chosen);
  }
  return {chosen, root.resolve("boot/vmlinuz-" + chosen)};
}

std::string initramfs_cache_key(const std::string& rootfs_dir, const KernelInfo& kernel,
                                int64_t epoch) {
  RootDir root(rootfs_dir);
  Sha256 h;
  h.update("kiln-initramfs-v1\nkernel " + kernel.version + "\nepoch " + std::to_string(epoch) +
           "\n");
  std::string modules = root.lstat("usr/lib/modules/" + kernel.version)
                            ? "usr/lib/modules/" + kernel.version
                            : "lib/modules/" + kernel.version;
  const std::vector<std::string> inputs{"boot/vmlinuz-" + kernel.version,
                                        modules,
                                        "etc/initramfs-tools",
                                        "usr/share/initramfs-tools",
                                        "etc/modprobe.d",
                                        "usr/lib/modprobe.d",
                                        "etc/udev",
                                        "var/lib/dpkg/status"};
  for (const std::string& rel : inputs) {
    throw_if_interrupted();
    std::string host;
    try {
      host = root.resolve(rel);
    } catch (const Error& e) {
      if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
    }
    if (host.empty() || !is_directory(dirname_of(host))) {
      h.update("absent " + rel + "\n");
      continue;
    }
    UniqueFd parent = open_file(dirname_of(host), O_RDONLY | O_DIRECTORY);
    hash_entry(h, parent.get(), basename_of(host), rel, host);
  }
  return h.hex_digest();
}

void generate_initramfs(const std::string& rootfs_dir, const KernelInfo& kernel,
                        const std::string& out, int64_t epoch, const std::string& log_path) {
  RootDir root(rootfs_dir);
  if (!root.exists("usr/sbin/mkinitramfs")) {
    throw Error("find mkinitramfs in '" + rootfs_dir +
                    "': the image has no initramfs-tools; add initramfs-tools to "
                    "base.debian.packages",
                kExitMissingInput, ENOENT);
  }
  if (!find_program("bwrap")) {
    throw Error("run 'bwrap': command not found; install bubblewrap (scripts/install-deps)",
                kExitMissingInput, ENOENT);
  }
  TreeTempDir tmp(root, "tmp");
  std::string inside_out = tmp.inside() + "/initrd.img";
  std::vector<std::string> argv{"bwrap",
                                "--bind",
                                rootfs_dir,
                                "/",
                                "--dev",
                                "/dev",
                                "--proc",
                                "/proc",
                                "--unshare-pid",
                                "--unshare-net",
                                "--die-with-parent",
                                "--clearenv",
                                "--setenv",
                                "PATH",
                                "/usr/sbin:/usr/bin:/sbin:/bin",
                                "--setenv",
                                "LC_ALL",
                                "C",
                                "--setenv",
                                "SOURCE_DATE_EPOCH",
                                std::to_string(epoch),
                                "--setenv",
                                "TMPDIR",
                                tmp.inside(),
                                "--",
                                "/usr/sbin/mkinitramfs",
                                "-o",
                                inside_out,
                                kernel.version};
  RunOptions ro;
  ro.log_path = log_path;
  ro.timeout = std::chrono::minutes(20);
  try {
    run(argv, ro);
  } catch (Error& e) {
    if (e.exit_code() != 130) e.set_exit_code(kExitToolFailed);
    e.add_context("while generating the initramfs for kernel " + kernel.version);
    throw;
  }
  std::string produced = tmp.host() + "/initrd.img";
  // A unique temp name: two builds may fill the same cache entry at once.
  std::string partial = out + ".partial-" + std::to_string(::getpid());
  try {
    copy_sparse_file(produced, partial);
    rename_durable(partial, out);
  } catch (...) {
    ::unlink(partial.c_str());
    throw;
  }
}

}  // namespace kiln
