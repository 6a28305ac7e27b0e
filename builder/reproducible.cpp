#include "builder/reproducible.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <sys/stat.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln {

int64_t source_date_epoch() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (v == nullptr) return kDefaultSourceDateEpoch;
  std::string s(v);
  bool digits = !s.empty() && s.size() <= 12 &&
                std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw Error("read SOURCE_DATE_EPOCH '" + s + "': not a number of seconds since 1970",
                kExitInvalid);
  }
  return std::stoll(s);
}

std::string uuid_seed(const std::string& spec_sha256, const LockEntries& resolved) {
  std::string text = "kiln-image-v1\nspec " + spec_sha256 + "\n";
  for (const auto& [key, value] : resolved) text += key + " " + value + "\n";
  return sha256_hex(text);
}

std::string derive_uuid(std::string_view seed, std::string_view purpose) {
  std::string h = sha256_hex(std::string(seed) + "\n" + std::string(purpose));
  // RFC 4122 shape: version 4 in the 13th digit, variant 10xx in the 17th.
  h[12] = '4';
  const char* variant = "89ab";
  h[16] = variant[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string derive_volume_id(std::string_view seed, std::string_view purpose) {
  return sha256_hex(std::string(seed) + "\n" + std::string(purpose)).substr(0, 8);
}

namespace {

void clamp_one(int dirfd, const char* name, const struct stat& st, int64_t epoch,
               const std::string& shown) {
  time_t t = std::min<time_t>(st.st_mtim.tv_sec, static_cast<time_t>(epoch));
  long nsec = st.st_mtim.tv_sec < epoch ? st.st_mtim.tv_nsec : 0;
  struct timespec times[2] = {{t, nsec}, {t, nsec}};
  if (::utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("set times of", shown);
  }
}

void walk(int dirfd, const std::string& rel, const std::string& root, int64_t epoch,
          std::vector<std::string>& out) {
  for (const std::string& name : list_dir(rel.empty() ? root : path_join(root, rel))) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("stat", path_join(root, child));
    }
    out.push_back(child);
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub = open_file_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      walk(sub.get(), child, root, epoch, out);
    }
    // After the children: creating them changed the directory's mtime.
    clamp_one(dirfd, name.c_str(), st, epoch, path_join(root, child));
  }
}

}  // namespace

std::vector<std::string> clamp_tree_times(const std::string& dir, int64_t epoch) {
  std::vector<std::string> out{""};
  UniqueFd fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  walk(fd.get(), "", dir, epoch, out);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat", dir);
  struct timespec times[2] = {{std::min<time_t>(st.st_mtim.tv_sec, epoch), 0},
                              {std::min<time_t>(st.st_mtim.tv_sec, epoch), 0}};
  if (::futimens(fd.get(), times) != 0) throw_errno("set times of", dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kiln
