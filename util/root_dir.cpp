#include "util/root_dir.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <vector>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

std::atomic<bool> g_force_portable{false};
// -1 unknown, 0 no, 1 yes.
std::atomic<int> g_has_openat2{-1};

long sys_openat2(int dirfd, const char* path, struct open_how* how) {
  return ::syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

std::string display(std::string_view root, std::string_view rel) {
  std::string s(root);
  if (rel.empty() || rel.front() != '/') s += '/';
  s += rel;
  return s;
}

constexpr int kMaxSymlinks = 40;

}  // namespace

RootDir::RootDir(const std::string& path) : path_(absolute_path(path)) {
  fd_ = open_file(path_, O_PATH | O_DIRECTORY);
}

void RootDir::force_portable_resolution(bool on) { g_force_portable = on; }

bool RootDir::kernel_resolves_in_root() {
  if (g_has_openat2 < 0) {
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long fd = sys_openat2(AT_FDCWD, "/", &how);
    if (fd >= 0) {
      ::close(static_cast<int>(fd));
      g_has_openat2 = 1;
    } else {
      // ENOSYS on old kernels; EPERM or similar under seccomp filters.
      g_has_openat2 = 0;
    }
  }
  return g_has_openat2 == 1;
}

UniqueFd RootDir::open(std::string_view rel, int flags, mode_t mode) const {
  bool follow_final = (flags & O_NOFOLLOW) == 0;
  if (!g_force_portable && kernel_resolves_in_root()) {
    struct open_how how {};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    if ((flags & (O_CREAT | O_TMPFILE)) != 0) how.mode = mode;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string p(rel.empty() ? "." : rel);
    long fd;
    do {
      fd = sys_openat2(fd_.get(), p.c_str(), &how);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      if (errno == EAGAIN) return walk(rel, flags, mode, follow_final);
      throw_errno("open", display(path_, rel));
    }
    return UniqueFd(static_cast<int>(fd));
  }
  return walk(rel, flags, mode, follow_final);
}

// The portable resolver: keeps a stack of directory fds from the root down,
// so ".." pops (never above the root) and a symlink restarts resolution from
// the root (absolute target) or the current directory (relative target).
UniqueFd RootDir::walk(std::string_view rel, int flags, mode_t mode, bool follow_final) const {
  const std::string shown = display(path_, rel);
  std::vector<UniqueFd> stack;
  auto current = [&]() { return stack.empty() ? fd_.get() : stack.back().get(); };
  std::vector<std::string> todo;  // remaining components, reversed
  auto push_path = [&](std::string_view p) {
    auto parts = split(p, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!it->empty() && *it != ".") todo.push_back(*it);
    }
  };
  push_path(rel);
  int links = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    const bool last = todo.empty();
    if (comp == "..") {
      if (!stack.empty()) stack.pop_back();
      if (last) {
        int d = ::fcntl(current(), F_DUPFD_CLOEXEC, 3);
        if (d < 0) throw_errno("open", shown);
        if ((flags & O_PATH) != 0) return UniqueFd(d);
        UniqueFd dup(d);
        return open_file_at(dup.get(), ".", flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), mode);
      }
      continue;
    }
    struct stat st {};
    bool exists = ::fstatat(current(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) throw_errno("open", shown);
    if (exists && S_ISLNK(st.st_mode) && (!last || follow_final)) {
      if (++links > kMaxSymlinks) throw Error::from_errno("open", shown, ELOOP);
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(current(), comp.c_str(), target, sizeof target - 1);
      if (n < 0) throw_errno("read link", shown);
      std::string_view t(target, static_cast<size_t>(n));
      if (!t.empty() && t.front() == '/') stack.clear();
      push_path(t);
      continue;
    }
    if (last) {
      int f = flags | O_NOFOLLOW;
      if (S_ISLNK(st.st_mode) && exists && (flags & O_PATH) == 0) f &= ~O_NOFOLLOW;
      int fd;
      do {
        fd = ::openat(current(), comp.c_str(), f | O_CLOEXEC, mode);
      } while (fd < 0 && errno == EINTR);
      if (fd < 0) throw_errno("open", shown);
      return UniqueFd(fd);
    }
    if (!exists) throw Error::from_errno("open", shown, ENOENT);
    if (!S_ISDIR(st.st_mode)) throw Error::from_errno("open", shown, ENOTDIR);
    stack.push_back(open_file_at(current(), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW));
  }
  // Empty path or only "." components: the root itself.
  int d = ::fcntl(current(), F_DUPFD_CLOEXEC, 3);
  if (d < 0) throw_errno("open", shown);
  UniqueFd dup(d);
  if ((flags & O_PATH) != 0) return dup;
  return open_file_at(dup.get(), ".", flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), mode);
}

UniqueFd RootDir::open_parent(std::string_view rel, std::string& leaf, bool create,
                              mode_t dir_mode) const {
  std::string norm = normalize_path(std::string("/") + std::string(rel));
  if (norm == "/") throw Error("open '" + display(path_, rel) + "': path names the root itself");
  std::string parent = dirname_of(norm);
  leaf = basename_of(norm);
  if (create) mkdirs(parent, dir_mode);
  return open(parent, O_PATH | O_DIRECTORY);
}

void RootDir::mkdirs(std::string_view rel, mode_t mode) const {
  std::string built;
  for (const auto& part : split(rel, '/')) {
    if (part.empty() || part == ".") continue;
    built += "/" + part;
    // Resolve what exists so far (symlinked dirs stay inside root).
    std::string leaf;
    std::string parent = dirname_of(built);
    UniqueFd pfd = open(parent, O_PATH | O_DIRECTORY);
    if (part == "..") continue;
    if (::mkdirat(pfd.get(), part.c_str(), mode) != 0 && errno != EEXIST) {
      throw_errno("create directory", display(path_, built));
    }
  }
  // Final check: it must resolve to a directory.
  (void)open(rel, O_PATH | O_DIRECTORY);
}

bool RootDir::exists(std::string_view rel) const { return lstat(rel).has_value(); }

std::optional<struct stat> RootDir::lstat(std::string_view rel) const {
  std::string leaf;
  UniqueFd parent;
  try {
    parent = open_parent(rel, leaf, false);
  } catch (const Error& e) {
    if (e.err() == ENOENT || e.err() == ENOTDIR) return std::nullopt;
    throw;
  }
  struct stat st {};
  if (::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("stat", display(path_, rel));
  }
  return st;
}

std::string RootDir::resolve(std::string_view rel) const {
  std::string leaf;
  UniqueFd parent = open_parent(rel, leaf, false);
  // /proc/self/fd gives the kernel's name for the resolved parent.
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(parent.get());
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) throw_errno("resolve", display(path_, rel));
  std::string dir(buf, static_cast<size_t>(n));
  struct stat st {};
  if (::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    UniqueFd target = open(rel, O_PATH);
    std::string tlink = "/proc/self/fd/" + std::to_string(target.get());
    n = ::readlink(tlink.c_str(), buf, sizeof buf - 1);
    if (n < 0) throw_errno("resolve", display(path_, rel));
    return std::string(buf, static_cast<size_t>(n));
  }
  return dir == "/" ? "/" + leaf : dir + "/" + leaf;
}

std::optional<std::string> RootDir::read_file(std::string_view rel, size_t max_bytes) const {
  UniqueFd fd;
  try {
    fd = open(rel, O_RDONLY);
  } catch (const Error& e) {
    if (e.err() == ENOENT) return std::nullopt;
    throw;
  }
  return read_fd(fd.get(), display(path_, rel), max_bytes);
}

void RootDir::write_file(std::string_view rel, std::string_view data, mode_t mode,
                         std::optional<std::pair<uid_t, gid_t>> owner) const {
  std::string leaf;
  UniqueFd parent = open_parent(rel, leaf, true);
  // open_parent returns an O_PATH fd; AtomicFile needs a real directory fd.
  UniqueFd dir = open_file_at(parent.get(), ".", O_RDONLY | O_DIRECTORY);
  AtomicFile f(dir.get(), leaf, mode, display(path_, rel));
  f.write(data);
  if (owner) f.set_owner(owner->first, owner->second);
  f.commit();
}

void RootDir::remove(std::string_view rel) const {
  std::string leaf;
  UniqueFd parent;
  try {
    parent = open_parent(rel, leaf, false);
  } catch (const Error& e) {
    if (e.err() == ENOENT) return;
    throw;
  }
  UniqueFd dir = open_file_at(parent.get(), ".", O_RDONLY | O_DIRECTORY);
  remove_tree_at(dir.get(), leaf);
}

}  // namespace kiln
