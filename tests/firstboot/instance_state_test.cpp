// The instance's progress records under batched durability: a record is
// made durable by a barrier of its own, after the barrier for everything
// written before it.
#include "firstboot/instance_state.hpp"

#include <catch2/catch.hpp>

#include "firstboot/seed_data.hpp"
#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"
#include "util/sync_batch.hpp"

using namespace kiln;
using namespace kiln::firstboot;

TEST_CASE("progress records flush the batch before and after them", "[unit]") {
  TempDir tmp;
  RootDir root(test::make_target_root(tmp.path() + "/root"));
  test::write_seed(tmp.path() + "/seed", std::string("#cloud-config\n"),
                   std::string("instance-id: i-sync\n"));
  SeedData seed = read_seed_dir(tmp.path() + "/seed", "seed");

  SyncBatch batch;
  InstanceState state(root, "i-sync");
  state.begin(seed);
  CHECK(batch.pending_file_systems() == 1);  // the raw data waits for a barrier

  root.write_file("/etc/appended.conf", "base\nmore\n", 0644);
  CHECK(batch.pending_file_systems() == 1);
  state.mark_done("write_files[0]");
  // The file the record speaks of was synced first, then the record.
  CHECK(batch.pending_file_systems() == 0);
  CHECK(state.done("write_files[0]"));

  root.write_file("/etc/last.conf", "x\n", 0644);
  state.finish();
  CHECK(batch.pending_file_systems() == 0);
  CHECK(path_exists(root.path() + "/var/lib/kiln/instances/i-sync/complete"));
}
