#include "builder/overlay_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <deque>
#include <random>

#include <sys/xattr.h>

#include "builder/build_context.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr int kMaxSymlinks = 40;

std::string temp_name(const std::string& leaf) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s = ".kiln-ovl-";
  for (int i = 0; i < 8; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
  return s + "-" + leaf.substr(0, 64);
}

// Unlinks a temp entry unless it was renamed into place.
class TempEntry {
 public:
  TempEntry(int dirfd, std::string name) : dirfd_(dirfd), name_(std::move(name)) {}
  TempEntry(const TempEntry&) = delete;
  TempEntry& operator=(const TempEntry&) = delete;
  ~TempEntry() { ::unlinkat(dirfd_, name_.c_str(), 0); }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  int dirfd_;
  std::string name_;
};

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (auto& c : split(path, '/')) {
    if (!c.empty() && c != ".") out.push_back(c);
  }
  return out;
}

}  // namespace

std::string check_member(const std::string& overlay, const std::string& member) {
  auto fail = [&](const std::string& why) {
    throw Error("overlay '" + overlay + "': member '" + member + "' " + why, kExitInvalid);
  };
  if (!member.empty() && member.front() == '/') fail("is an absolute path");
  std::vector<std::string> parts;
  for (auto& c : split(member, '/')) {
    if (c == "..") fail("leaves the image root ('..')");
    if (!c.empty() && c != ".") parts.push_back(c);
  }
  return join(parts, "/");
}

OverlayWriter::OverlayWriter(const std::string& root, std::string overlay_name)
    : root_(root), overlay_(std::move(overlay_name)) {
  root_fd_ = open_file(root_, O_PATH | O_DIRECTORY);
}

void OverlayWriter::fail(const std::string& member, const std::string& why) const {
  throw Error("overlay '" + overlay_ + "': member '" + member + "' " + why, kExitInvalid);
}

UniqueFd OverlayWriter::walk(const std::vector<std::string>& comps, const std::string& member,
                             bool create) const {
  std::vector<UniqueFd> stack;     // directories below the root
  std::vector<std::string> where;  // their names, for messages
  std::deque<std::string> todo(comps.begin(), comps.end());
  std::string via;  // the symlink being expanded, for messages
  int links = 0;
  auto current = [&] { return stack.empty() ? root_fd_.get() : stack.back().get(); };
  auto image_path = [&](const std::string& leaf) {
    std::string p;
    for (const auto& w : where) p += "/" + w;
    return p + "/" + leaf;
  };
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == "..") {
      if (stack.empty())
        fail(member,
             "would be written through the symlink " + via + ", which leads out of the image root");
      stack.pop_back();
      where.pop_back();
      continue;
    }
    struct stat st {};
    if (::fstatat(current(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) throw_errno("stat", root_ + image_path(c));
      if (!create) throw Error::from_errno("open", root_ + image_path(c), ENOENT);
      if (::mkdirat(current(), c.c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno("create directory", root_ + image_path(c));
      }
      if (::fchownat(current(), c.c_str(), 0, 0, AT_SYMLINK_NOFOLLOW) != 0) {
        throw_errno("chown", root_ + image_path(c));
      }
      if (::fchmodat(current(), c.c_str(), 0755, 0) != 0)
        throw_errno("chmod", root_ + image_path(c));
      todo.push_front(c);  // now it exists; look again
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) fail(member, "resolves through too many symlinks");
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(current(), c.c_str(), buf, sizeof buf - 1);
      if (n < 0) throw_errno("read link", root_ + image_path(c));
      std::string target(buf, static_cast<size_t>(n));
      via = "'" + image_path(c) + "' -> '" + target + "'";
      if (target.starts_with("/")) {
        fail(member, "would be written through the absolute symlink " + via +
                         ", which leads out of the image root");
      }
      auto parts = components(target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      fail(member,
           "needs '" + image_path(c) + "' to be a directory, but the image has a file there");
    }
    int fd = ::openat(current(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno("open", root_ + image_path(c));
    stack.emplace_back(fd);
    where.push_back(c);
  }
  int d = ::fcntl(current(), F_DUPFD_CLOEXEC, 3);
  if (d < 0) throw_errno("open", root_);
  return UniqueFd(d);
}

UniqueFd OverlayWriter::open_parent(const std::string& member, std::string& leaf) const {
  auto comps = components(member);
  if (comps.empty()) fail(member, "names the image root itself");
  leaf = comps.back();
  comps.pop_back();
  return walk(comps, member, true);
}

void OverlayWriter::directory(const std::string& member, const EntryMeta& meta) {
  std::string leaf;
  UniqueFd parent = open_parent(member, leaf);
  struct stat st {};
  bool exists = ::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && S_ISLNK(st.st_mode)) {
    // A symlink to a directory inside the image (merged /usr) is kept and
    // must resolve safely.
    (void)walk(components(member), member, true);
    return;
  }
  if (exists && S_ISDIR(st.st_mode)) return;
  if (exists) remove_tree_at(parent.get(), leaf);
  const std::string shown = root_ + "/" + member;
  if (::mkdirat(parent.get(), leaf.c_str(), 0700) != 0) throw_errno("create directory", shown);
  UniqueFd dir = open_file_at(parent.get(), leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (::fchown(dir.get(), meta.uid, meta.gid) != 0) throw_errno("chown", shown);
  if (::fchmod(dir.get(), meta.mode & 07777) != 0) throw_errno("chmod", shown);
  for (const auto& [name, value] : meta.xattrs) {
    if (::fsetxattr(dir.get(), name.c_str(), value.data(), value.size(), 0) != 0) {
      throw_errno("set xattr " + name + " on", shown);
    }
  }
  if (meta.mtime) {
    struct timespec ts[2] = {*meta.mtime, *meta.mtime};
    if (::futimens(dir.get(), ts) != 0) throw_errno("set times of", shown);
  }
}

namespace {

// Renames a finished temp entry over `leaf`; a directory in the way goes
// first (the overlay's entry wins).
void replace_with(int parent, const std::string& temp, const std::string& leaf,
                  const std::string& shown) {
  struct stat st {};
  if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    remove_tree_at(parent, leaf);
  }
  if (::renameat(parent, temp.c_str(), parent, leaf.c_str()) != 0) {
    throw_errno("rename into place", shown);
  }
}

}  // namespace

void OverlayWriter::file(const std::string& member, const EntryMeta& meta,
                         const std::function<void(int)>& fill) {
  std::string leaf;
  UniqueFd parent = open_parent(member, leaf);
  const std::string shown = root_ + "/" + member;
  TempEntry temp(parent.get(), temp_name(leaf));
  UniqueFd out =
      open_file_at(parent.get(), temp.name(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  fill(out.get());
  // Owner first: chown clears set-id bits that the mode then restores.
  if (::fchown(out.get(), meta.uid, meta.gid) != 0) throw_errno("chown", shown);
  if (::fchmod(out.get(), meta.mode & 07777) != 0) throw_errno("chmod", shown);
  for (const auto& [name, value] : meta.xattrs) {
    if (::fsetxattr(out.get(), name.c_str(), value.data(), value.size(), 0) != 0) {
      throw_errno("set xattr " + name + " on", shown);
    }
  }
  if (meta.mtime) {
    struct timespec ts[2] = {*meta.mtime, *meta.mtime};
    if (::futimens(out.get(), ts) != 0) throw_errno("set times of", shown);
  }
  out.reset();
  replace_with(parent.get(), temp.name(), leaf, shown);
}

void OverlayWriter::symlink(const std::string& member, const std::string& target,
                            const EntryMeta& meta) {
  std::string leaf;
  UniqueFd parent = open_parent(member, leaf);
  const std::string shown = root_ + "/" + member;
  TempEntry temp(parent.get(), temp_name(leaf));
  if (::symlinkat(target.c_str(), parent.get(), temp.name().c_str()) != 0) {
    throw_errno("create symlink", shown);
  }
  if (::fchownat(parent.get(), temp.name().c_str(), meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chown", shown);
  }
  if (meta.mtime) {
    struct timespec ts[2] = {*meta.mtime, *meta.mtime};
    if (::utimensat(parent.get(), temp.name().c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("set times of", shown);
    }
  }
  replace_with(parent.get(), temp.name(), leaf, shown);
}

void OverlayWriter::hardlink(const std::string& member, const std::string& target_member) {
  std::string target_leaf;
  UniqueFd target_parent = open_parent(target_member, target_leaf);
  struct stat st {};
  if (::fstatat(target_parent.get(), target_leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      S_ISDIR(st.st_mode)) {
    fail(member, "is a hard link to '" + target_member +
                     "', which the overlay has not laid down as a file");
  }
  std::string leaf;
  UniqueFd parent = open_parent(member, leaf);
  const std::string shown = root_ + "/" + member;
  TempEntry temp(parent.get(), temp_name(leaf));
  if (::linkat(target_parent.get(), target_leaf.c_str(), parent.get(), temp.name().c_str(), 0) !=
      0) {
    throw_errno("link", shown);
  }
  replace_with(parent.get(), temp.name(), leaf, shown);
}

}  // namespace kiln
