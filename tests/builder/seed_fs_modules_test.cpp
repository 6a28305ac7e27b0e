// The seed file systems' modules-load.d entry: only modules every kernel in
// the image has as loadable modules, since systemd-modules-load fails on a
// module it cannot find.
#include "builder/seed_fs_modules.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

void kernel(const std::string& root, const std::string& version, const std::string& dep) {
  test::write_text(root + "/usr/lib/modules/" + version + "/modules.dep", dep);
}

}  // namespace

TEST_CASE("the seed modules are the loadable ones every kernel has, in load order", "[unit]") {
  TempDir tmp;
  const std::string r = tmp.path();
  kernel(r, "6.1.0-1-amd64",
         "kernel/fs/isofs/isofs.ko.xz:\n"
         "kernel/fs/fat/fat.ko.xz:\n"
         "kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\n"
         "kernel/fs/nls/nls_cp437.ko.xz:\n"
         "kernel/fs/nls/nls_utf8.ko.xz:\n");
  // A second kernel with isofs built in (absent from modules.dep) and
  // nls_ascii as a module the first kernel lacks.
  kernel(r, "6.2.0-1-amd64",
         "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"
         "kernel/fs/fat/fat.ko:\n"
         "kernel/fs/nls/nls_cp437.ko:\n"
         "kernel/fs/nls/nls_ascii.ko:\n");
  // Not a kernel's module tree: ignored.
  mkdir_p(r + "/usr/lib/modules/stray");
  RootDir root(r);

  CHECK(seed_fs_modules(root) == std::vector<std::string>{"vfat", "nls_cp437"});
  CHECK(install_seed_fs_modules(root) == std::vector<std::string>{"vfat", "nls_cp437"});
  const std::string conf = r + kSeedModulesConf;
  CHECK(read_file(conf).ends_with("\nvfat\nnls_cp437\n"));
  CHECK((lstat_path(conf)->st_mode & 07777) == 0644);
}

TEST_CASE("an image without kernel modules gets no seed modules entry", "[unit]") {
  TempDir tmp;
  const std::string r = tmp.path();
  // Left over from an earlier build of the same tree.
  test::write_text(r + kSeedModulesConf, "vfat\n");
  RootDir root(r);
  CHECK(seed_fs_modules(root).empty());
  CHECK(install_seed_fs_modules(root).empty());
  CHECK_FALSE(path_exists(r + kSeedModulesConf));

  // A kernel whose seed file systems are all built in: nothing to load either.
  kernel(r, "6.1.0-1-amd64", "kernel/fs/ext4/ext4.ko:\n");
  CHECK(install_seed_fs_modules(root).empty());
  CHECK_FALSE(path_exists(r + kSeedModulesConf));
}
