// Batched durability: commits under a SyncBatch leave their fsyncs to one
// syncfs per file system; barriers keep ordered records.
#include "util/sync_batch.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

dev_t device_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_dev;
}

}  // namespace

TEST_CASE("without a batch every commit is durable by itself", "[unit]") {
  TempDir dir;
  CHECK(SyncBatch::active() == nullptr);
  write_file_atomic(dir.path() + "/a", "one");
  CHECK(read_file(dir.path() + "/a") == "one");
  sync_barrier();  // no batch: nothing to do, no error
}

TEST_CASE("a batch takes the commits' fsyncs: one pending sync per file system", "[unit]") {
  TempDir disk;
  TempDir shm("/dev/shm", "kiln-sync-batch");
  SyncBatch batch;
  CHECK(SyncBatch::active() == &batch);
  CHECK(batch.pending_file_systems() == 0);
  for (const char* name : {"a", "b", "c"}) write_file_atomic(disk.path() + "/" + name, name, 0600);
  CHECK(batch.pending_file_systems() == 1);
  // Each file is whole and in place at once; only durability waits.
  CHECK(read_file(disk.path() + "/b") == "b");
  CHECK(list_dir(disk.path()) == std::vector<std::string>{"a", "b", "c"});
  CHECK((lstat_path(disk.path() + "/c")->st_mode & 07777) == 0600);

  write_file_atomic(shm.path() + "/d", "d");
  CHECK(batch.pending_file_systems() == (device_of(shm.path()) == device_of(disk.path()) ? 1 : 2));
  batch.flush();
  CHECK(batch.pending_file_systems() == 0);
  batch.flush();  // nothing pending: a no-op

  write_file_atomic(disk.path() + "/e", "e");
  CHECK(batch.pending_file_systems() == 1);
  sync_barrier();  // flushes the active batch
  CHECK(batch.pending_file_systems() == 0);
}

TEST_CASE("a nested batch restores the batch that was active", "[unit]") {
  TempDir dir;
  SyncBatch outer;
  {
    SyncBatch inner;
    CHECK(SyncBatch::active() == &inner);
    write_file_atomic(dir.path() + "/x", "x");
    CHECK(inner.pending_file_systems() == 1);
    CHECK(outer.pending_file_systems() == 0);
    inner.flush();
  }
  CHECK(SyncBatch::active() == &outer);
}

TEST_CASE("a batch ends with its scope, even when unflushed", "[unit]") {
  TempDir dir;
  {
    SyncBatch batch;
    write_file_atomic(dir.path() + "/a", "a");
  }
  CHECK(SyncBatch::active() == nullptr);
  CHECK(read_file(dir.path() + "/a") == "a");
}
