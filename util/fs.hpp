// File-system helpers over plain paths. Everything opens with O_CLOEXEC and
// reports failures as "verb 'path': reason".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <sys/types.h>

#include "util/fd.hpp"

namespace kiln {

UniqueFd open_file(const std::string& path, int flags, mode_t mode = 0);
UniqueFd open_file_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Whole-file reads. `max_bytes` bounds what a caller is willing to hold.
std::string read_file(const std::string& path, size_t max_bytes = 64ULL << 20);
std::string read_fd(int fd, std::string_view name, size_t max_bytes = 64ULL << 20);
std::optional<std::string> read_file_if_exists(const std::string& path,
                                               size_t max_bytes = 64ULL << 20);
void write_all(int fd, std::string_view data, std::string_view name);

bool path_exists(const std::string& path);  // without following a final symlink
bool is_directory(const std::string& path);
std::optional<struct stat> lstat_path(const std::string& path);

void mkdir_p(const std::string& path, mode_t mode = 0755);
// Removes a tree without following symlinks; a missing path is not an error.
void remove_tree(const std::string& path);
void remove_tree_at(int dirfd, const std::string& name);
// Names in a directory, sorted, without "." and "..".
std::vector<std::string> list_dir(const std::string& path);
// The same for a directory already open as `dirfd` (which stays open and
// unmoved); `shown` names it in errors.
std::vector<std::string> list_dir_at(int dirfd, const std::string& shown);
// Copies contents, preserving mode; uses copy_file_range where it can.
void copy_file(const std::string& from, const std::string& to);
void copy_fd(int in, int out, std::string_view in_name, std::string_view out_name);

std::string dirname_of(std::string_view path);
std::string basename_of(std::string_view path);
std::string absolute_path(const std::string& path);
// Lexically joins and normalises; never touches the file system.
std::string path_join(std::string_view a, std::string_view b);
std::string normalize_path(std::string_view path);

// A directory removed (recursively) on destruction unless released.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "", std::string_view prefix = "kiln");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  ~TempDir();
  [[nodiscard]] const std::string& path() const { return path_; }
  std::string release();

 private:
  std::string path_;
};

}  // namespace kiln
