// Files that appear whole or not at all: written to a temp file in the same
// directory, given their mode (and owner), fsynced, then renamed into place
// (see util/sync_batch.hpp for batching the fsyncs).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "util/fd.hpp"

namespace kiln {

class AtomicFile {
 public:
  // `dirfd` is the directory that will hold `name` (a single component).
  AtomicFile(int dirfd, std::string name, mode_t mode, std::string display_name = "");
  // Convenience: a path relative to the cwd or absolute.
  AtomicFile(const std::string& path, mode_t mode);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temp file unless committed

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& display_name() const { return display_; }
  void write(std::string_view data);
  void set_owner(uid_t uid, gid_t gid);
  // fchmod, fsync, rename, fsync the directory (the fsyncs are left to the
  // active SyncBatch, if any).
  void commit();

 private:
  UniqueFd dir_;
  std::string name_;
  std::string temp_name_;
  std::string display_;
  mode_t mode_;
  std::optional<std::pair<uid_t, gid_t>> owner_;
  UniqueFd fd_;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);

// Renames `from` to `to` and fsyncs the directory of `to`.
void rename_durable(const std::string& from, const std::string& to);

}  // namespace kiln
