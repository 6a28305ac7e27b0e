#include "builder/tree_usage.hpp"

#include <ftw.h>

#include <cerrno>
#include <set>
#include <utility>

#include <sys/stat.h>

#include "util/error.hpp"

namespace kiln {
namespace {

constexpr uint64_t kBlock = 4096;

// nftw has no user pointer; the walk is not re-entered, so a thread-local
// accumulator is enough.
thread_local TreeUsage* g_usage = nullptr;
thread_local std::set<std::pair<dev_t, ino_t>>* g_seen = nullptr;

int visit(const char* /*path*/, const struct stat* st, int type, struct FTW* /*ftw*/) {
  if (type == FTW_NS || type == FTW_DNR) return -1;
  if (!g_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  g_usage->inodes++;
  if (S_ISREG(st->st_mode)) {
    g_usage->files++;
    g_usage->bytes += (static_cast<uint64_t>(st->st_size) + kBlock - 1) / kBlock * kBlock;
  } else if (S_ISDIR(st->st_mode)) {
    g_usage->bytes += kBlock;
  } else if (S_ISLNK(st->st_mode) && st->st_size >= 60) {
    // Short targets live inside the inode; longer ones take a block.
    g_usage->bytes += kBlock;
  }
  return 0;
}

}  // namespace

TreeUsage measure_tree(const std::string& dir) {
  TreeUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  g_usage = &usage;
  g_seen = &seen;
  errno = 0;
  int rc = ::nftw(dir.c_str(), visit, 64, FTW_PHYS);
  g_usage = nullptr;
  g_seen = nullptr;
  if (rc != 0) throw_errno("walk", dir, errno != 0 ? errno : EIO);
  return usage;
}

}  // namespace kiln
