// A directory treated as a file-system root: every path is resolved inside it,
// so ".." and symlinks (absolute or relative) cannot lead out. Uses openat2
// with RESOLVE_IN_ROOT where the kernel has it (probed by trying), and an
// equivalent component-by-component walk where it does not.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace kiln {

class RootDir {
 public:
  explicit RootDir(const std::string& path);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_.get(); }

  // openat2-style open of `rel` inside the root. `flags` may include O_CREAT.
  // With O_NOFOLLOW a final symlink is not followed.
  [[nodiscard]] UniqueFd open(std::string_view rel, int flags, mode_t mode = 0) const;
  // Opens the parent directory of `rel` (creating it with `dir_mode` when
  // `create` is set) and stores the final component in `leaf`.
  [[nodiscard]] UniqueFd open_parent(std::string_view rel, std::string& leaf, bool create,
                                     mode_t dir_mode = 0755) const;
  // The host path `rel` resolves to, with every symlink resolved inside root.
  // The final component need not exist.
  [[nodiscard]] std::string resolve(std::string_view rel) const;

  void mkdirs(std::string_view rel, mode_t mode = 0755) const;
  [[nodiscard]] bool exists(std::string_view rel) const;  // final symlink not followed
  [[nodiscard]] std::optional<struct stat> lstat(std::string_view rel) const;
  [[nodiscard]] std::optional<std::string> read_file(std::string_view rel,
                                                     size_t max_bytes = 64ULL << 20) const;
  // Atomic write; `owner` is applied before the rename when given.
  void write_file(std::string_view rel, std::string_view data, mode_t mode,
                  std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt) const;
  // Removes a file or a whole tree; missing is fine.
  void remove(std::string_view rel) const;

  // For tests: resolve without openat2 even where the kernel has it.
  static void force_portable_resolution(bool on);
  [[nodiscard]] static bool kernel_resolves_in_root();

 private:
  [[nodiscard]] UniqueFd walk(std::string_view rel, int flags, mode_t mode, bool follow_final) const;

  std::string path_;
  UniqueFd fd_;
};

}  // namespace kiln
