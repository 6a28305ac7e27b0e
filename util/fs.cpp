#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include <sys/sendfile.h>

#include "util/cancel.hpp"
#include "util/dir_ptr.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln {

UniqueFd open_file(const std::string& path, int flags, mode_t mode) {
  return open_file_at(AT_FDCWD, path, flags, mode);
}

UniqueFd open_file_at(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno("open", path);
  return UniqueFd(fd);
}

std::string read_fd(int fd, std::string_view name, size_t max_bytes) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", name);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      throw Error("read '" + std::string(name) + "': file is larger than " + human_bytes(max_bytes),
                  1, EFBIG);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path, size_t max_bytes) {
  UniqueFd fd = open_file(path, O_RDONLY);
  return read_fd(fd.get(), path, max_bytes);
}

std::optional<std::string> read_file_if_exists(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open", path);
  }
  UniqueFd owned(fd);
  return read_fd(owned.get(), path, max_bytes);
}

void write_all(int fd, std::string_view data, std::string_view name) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", name);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<struct stat> lstat_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("stat", path);
  }
  return st;
}

void mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  std::string cur;
  for (const auto& part : split(path, '/')) {
    if (part.empty()) {
      if (cur.empty()) cur = "/";
      continue;
    }
    if (!cur.empty() && cur.back() != '/') cur += '/';
    cur += part;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) throw_errno("create directory", cur);
  }
  if (!is_directory(path)) throw Error::from_errno("create directory", path, ENOTDIR);
}

void remove_tree_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno("remove", name);
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return;
    throw_errno("open", name);
  }
  // Remove children through the directory's own fd so a rename elsewhere
  // cannot redirect the removal.
  for (const auto& child : list_dir_at(fd.get(), name)) remove_tree_at(fd.get(), child);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    throw_errno("remove directory", name);
  }
}

void remove_tree(const std::string& path) {
  remove_tree_at(AT_FDCWD, path);
}

std::vector<std::string> list_dir_at(int dirfd, const std::string& shown) {
  // A fresh open of "." gives the DIR stream its own offset, so the
  // caller's fd is neither consumed nor moved.
  UniqueFd own(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!own) throw_errno("open directory", shown);
  DirPtr dir(::fdopendir(own.get()));
  if (!dir) throw_errno("open directory", shown);
  static_cast<void>(own.release());  // the DIR stream owns it now
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* de = ::readdir(dir.get())) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  if (errno != 0) throw_errno("read directory", shown);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> list_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open directory", path);
  return list_dir_at(fd.get(), path);
}

void copy_fd(int in, int out, std::string_view in_name, std::string_view out_name) {
  bool use_copy_range = true;
  char buf[1 << 16];
  while (true) {
    throw_if_interrupted();
    if (use_copy_range) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      if (n > 0) continue;
      if (n == 0) return;
      // Cross-device or unsupported: fall back to read/write.
      if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
          errno == EBADF) {
        use_copy_range = false;
        continue;
      }
      if (errno == EINTR) continue;
      throw_errno("copy to", out_name);
    }
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", in_name);
    }
    if (n == 0) return;
    write_all(out, std::string_view(buf, static_cast<size_t>(n)), out_name);
  }
}

void copy_file(const std::string& from, const std::string& to) {
  UniqueFd in = open_file(from, O_RDONLY);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) throw_errno("stat", from);
  UniqueFd out = open_file(to, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
  copy_fd(in.get(), out.get(), from, to);
  if (::fchmod(out.get(), st.st_mode & 07777) != 0) throw_errno("chmod", to);
}

std::string dirname_of(std::string_view path) {
  size_t pos = path.find_last_of('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

std::string basename_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t pos = path.find_last_of('/');
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

std::string normalize_path(std::string_view path) {
  bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!absolute) {
        out.push_back(part);
      }
      continue;
    }
    out.push_back(part);
  }
  std::string joined = join(out, "/");
  if (absolute) return "/" + joined;
  return joined.empty() ? "." : joined;
}

std::string path_join(std::string_view a, std::string_view b) {
  if (!b.empty() && b.front() == '/') return normalize_path(b);
  std::string s(a);
  s += '/';
  s += b;
  return normalize_path(s);
}

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path.front() == '/') return normalize_path(path);
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr) throw_errno("getcwd", ".");
  return path_join(buf, path);
}

TempDir::TempDir(const std::string& parent, std::string_view prefix) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::string templ = base + "/" + std::string(prefix) + ".XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw_errno("create temporary directory in", base);
  path_ = templ;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) {
      try {
        remove_tree(path_);
      } catch (...) {  // NOLINT(bugprone-empty-catch): best effort in a move
      }
    }
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  try {
    remove_tree(path_);
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

std::string TempDir::release() {
  return std::exchange(path_, std::string());
}

}  // namespace kiln
