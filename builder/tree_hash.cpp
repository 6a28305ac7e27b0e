#include "builder/tree_hash.hpp"

#include <algorithm>
#include <cstdio>

#include "util/sha256.hpp"

namespace kiln {
namespace {

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string owner(uid_t uid, gid_t gid) {
  return std::to_string(uid) + ":" + std::to_string(gid);
}

}  // namespace

// Records are NUL-separated fields, so no path or target can forge another
// record's boundary.
void TreeHasher::directory(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  records_.emplace_back(path, std::string("d\0", 2) + octal(mode) + '\0' + owner(uid, gid));
}

void TreeHasher::file(const std::string& path, mode_t mode, uid_t uid, gid_t gid,
                      const std::string& content_sha256) {
  records_.emplace_back(
      path, std::string("f\0", 2) + octal(mode) + '\0' + owner(uid, gid) + '\0' + content_sha256);
}

void TreeHasher::symlink(const std::string& path, const std::string& target, uid_t uid, gid_t gid) {
  records_.emplace_back(path, std::string("l\0", 2) + owner(uid, gid) + '\0' + target);
}

void TreeHasher::hardlink(const std::string& path, const std::string& target) {
  records_.emplace_back(path, std::string("h\0", 2) + target);
}

std::string TreeHasher::hex_digest() const {
  auto sorted = records_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Sha256 h;
  for (const auto& [path, record] : sorted) {
    h.update(path);
    h.update(std::string_view("\0", 1));
    h.update(record);
    h.update(std::string_view("\n\0", 2));
  }
  return h.hex_digest();
}

}  // namespace kiln
