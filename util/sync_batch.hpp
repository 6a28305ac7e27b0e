// Durability in batches. On its own, every AtomicFile commit fsyncs the file
// and then its directory: two disk flushes per file. A program that writes
// many small files as one unit of work (a first boot writing accounts, keys
// and configuration) opens a SyncBatch instead: while it is active on this
// thread, commits skip their fsyncs and note the file system they wrote to,
// and flush() makes all of it durable with one syncfs(2) per file system.
// Only the moment the files become durable moves, to flush(): after a crash
// before it, a file written in the batch may be missing or, where it was new,
// empty. (On ext4 a rename over an existing file writes the new data out
// with the rename, so a replaced file is the old one or the new one.) So a
// batch suits work that is redone when it is not recorded as finished:
// records that must be durable in order (a "done" marker) are written
// between two sync_barrier() calls: after what they record, before anything
// that relies on them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "util/fd.hpp"

namespace kiln {

class SyncBatch {
 public:
  SyncBatch();
  // Deactivates the batch without flushing: a batch left by an exception is
  // unfinished work, and whoever resumes it writes it again.
  ~SyncBatch();
  SyncBatch(const SyncBatch&) = delete;
  SyncBatch& operator=(const SyncBatch&) = delete;

  // syncfs on every file system written to since the last flush. Throws
  // "sync the file system of 'path': reason".
  void flush();
  // Notes that `fd` (a file or directory) has unsynced changes.
  void defer(int fd, std::string_view display_name);
  // File systems with changes that flush() will sync.
  [[nodiscard]] size_t pending_file_systems() const;

  // The batch active on this thread, or nullptr.
  static SyncBatch* active();

 private:
  struct FileSystem {
    dev_t dev = 0;
    UniqueFd fd;
    std::string display_name;
    bool dirty = false;
  };
  std::vector<FileSystem> file_systems_;
  SyncBatch* previous_;
};

// Flushes the active batch, if any: everything written before the barrier
// is durable before anything written after it.
void sync_barrier();

// What AtomicFile and other writers call after changing a file or a
// directory's entries: fsync now, or leave it to the active batch.
void sync_file(int fd, std::string_view display_name);
void sync_directory(int dirfd, std::string_view display_name);

}  // namespace kiln
