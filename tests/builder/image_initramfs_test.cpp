// The initramfs step: which kernel, what the cache key covers, the sandboxed
// run of the image's own mkinitramfs (a stand-in script here; the [qemu]
// tests boot Debian's real one) and cache reuse.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "builder/initramfs.hpp"
#include "builder/manifest.hpp"
#include "builder/steps.hpp"
#include "tests/builder/image_fixture.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

using namespace kiln;

namespace {

// A tree bwrap can run a shell in: static busybox as /usr/bin/sh and a
// mkinitramfs that records how it was called.
void add_fake_initramfs_tools(const std::string& root) {
  mkdir_p(root + "/usr/bin");
  mkdir_p(root + "/usr/sbin");
  mkdir_p(root + "/tmp");
  copy_file("/usr/bin/busybox", root + "/usr/bin/busybox");
  REQUIRE(::symlink("busybox", (root + "/usr/bin/sh").c_str()) == 0);
  REQUIRE(::symlink("usr/bin", (root + "/bin").c_str()) == 0);
  test::write_text(root + "/usr/sbin/mkinitramfs",
                   "#!/bin/sh\n"
                   "# stand-in: mkinitramfs -o OUT VERSION\n"
                   "[ \"$1\" = -o ] || exit 64\n"
                   "[ -c /dev/null ] || { echo 'no /dev/null' >&2; exit 65; }\n"
                   "[ -r /proc/self/status ] || { echo 'no /proc' >&2; exit 66; }\n"
                   "case \"$TMPDIR\" in /tmp/kiln-initramfs.*) ;; *) exit 67 ;; esac\n"
                   "echo \"initrd for $3 at $SOURCE_DATE_EPOCH\" > \"$2\"\n",
                   0755);
}

}  // namespace

TEST_CASE("the kernel is the one /vmlinuz points at, else the newest with modules", "[unit]") {
  TempDir d;
  std::string root = d.path();
  auto add = [&](const std::string& v, bool modules) {
    test::write_text(root + "/boot/vmlinuz-" + v, "k");
    if (modules) mkdir_p(root + "/usr/lib/modules/" + v);
  };
  add("6.1.0-9-amd64", true);
  add("6.1.0-10-amd64", true);
  add("6.5.0-1-amd64", false);  // no modules: not bootable, ignored
  KernelInfo k = find_kernel(root);
  CHECK(k.version == "6.1.0-10-amd64");
  CHECK(k.vmlinuz == root + "/boot/vmlinuz-6.1.0-10-amd64");
  REQUIRE(::symlink("boot/vmlinuz-6.1.0-9-amd64", (root + "/vmlinuz").c_str()) == 0);
  CHECK(find_kernel(root).version == "6.1.0-9-amd64");
}

TEST_CASE("an image without a kernel fails naming the fix", "[unit]") {
  TempDir d;
  mkdir_p(d.path() + "/boot");
  try {
    (void)find_kernel(d.path());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 4);
    CHECK(e.message() == "find kernel in '" + d.path() +
                             "': no /boot/vmlinuz-<version> with /usr/lib/modules/<version>; add "
                             "a kernel package (linux-image-amd64) to base.debian.packages");
  }
}

TEST_CASE("the cache key follows initramfs inputs and ignores the rest", "[unit]") {
  test::TinyImage t;
  const std::string root = t.ctx->rootfs_dir;
  test::write_text(root + "/usr/share/initramfs-tools/hooks/kiln-boot", "#!/bin/sh\n", 0755);
  test::write_text(root + "/etc/initramfs-tools/initramfs.conf", "MODULES=most\n");
  test::write_text(root + "/var/lib/dpkg/status", "Package: kmod\nVersion: 30\n");
  KernelInfo k = find_kernel(root);
  const std::string base = initramfs_cache_key(root, k, 100);
  CHECK(base == initramfs_cache_key(root, k, 100));
  CHECK(base != initramfs_cache_key(root, k, 101));

  test::write_text(root + "/etc/motd", "unrelated\n");
  test::write_text(root + "/usr/bin/tool", "unrelated\n");
  CHECK(initramfs_cache_key(root, k, 100) == base);

  auto changed = [&](const std::string& rel, const std::string& text) {
    std::string saved = read_file(root + "/" + rel);
    unsigned mode = lstat_path(root + "/" + rel)->st_mode & 07777;
    test::write_text(root + "/" + rel, text, mode);
    std::string key = initramfs_cache_key(root, k, 100);
    test::write_text(root + "/" + rel, saved, mode);
    REQUIRE(initramfs_cache_key(root, k, 100) == base);
    return key != base;
  };
  CHECK(changed("usr/share/initramfs-tools/hooks/kiln-boot", "#!/bin/sh\n# changed\n"));
  CHECK(changed("etc/initramfs-tools/initramfs.conf", "MODULES=dep\n"));
  CHECK(changed("var/lib/dpkg/status", "Package: kmod\nVersion: 31\n"));
  CHECK(changed("usr/lib/modules/" + std::string(test::kTinyKernelVersion) + "/modules.dep",
                "x.ko:\n"));
  CHECK(changed("boot/vmlinuz-" + std::string(test::kTinyKernelVersion), "other kernel"));
  // So does a mode change (a hook that is no longer executable is skipped).
  ::chmod((root + "/usr/share/initramfs-tools/hooks/kiln-boot").c_str(), 0644);
  CHECK(initramfs_cache_key(root, k, 100) != base);
  ::chmod((root + "/usr/share/initramfs-tools/hooks/kiln-boot").c_str(), 0755);
  // A new hook file counts too.
  test::write_text(root + "/etc/initramfs-tools/hooks/extra", "#!/bin/sh\n", 0755);
  CHECK(initramfs_cache_key(root, k, 100) != base);
}

TEST_CASE("the initramfs is made by the image's own tools in a sandbox", "[unit]") {
  test::TinyImage t;
  add_fake_initramfs_tools(t.ctx->rootfs_dir);
  test::write_text(t.ctx->rootfs_dir + "/boot/initrd.img-" + std::string(test::kTinyKernelVersion),
                   "the base's own initrd");
  REQUIRE(::symlink(("boot/initrd.img-" + std::string(test::kTinyKernelVersion)).c_str(),
                    (t.ctx->rootfs_dir + "/initrd.img").c_str()) == 0);
  t.ctx->image.source_date_epoch = 1234567;

  run_initramfs_step(*t.ctx);
  const ImageArtifacts& img = t.ctx->image;
  CHECK(img.kernel_version == test::kTinyKernelVersion);
  CHECK_FALSE(img.initrd_cached);
  CHECK(img.initrd_path.rfind(t.ctx->options.cache_dir + "/initramfs/", 0) == 0);
  CHECK(read_file(img.initrd_path) ==
        "initrd for " + std::string(test::kTinyKernelVersion) + " at 1234567\n");
  // Nothing of the run is left in the tree; the base's stale initrd is gone.
  CHECK(list_dir(t.ctx->rootfs_dir + "/tmp").empty());
  CHECK_FALSE(path_exists(t.ctx->rootfs_dir + "/initrd.img"));
  CHECK_FALSE(
      path_exists(t.ctx->rootfs_dir + "/boot/initrd.img-" + std::string(test::kTinyKernelVersion)));
  CHECK(std::count(t.ctx->report.removed.begin(), t.ctx->report.removed.end(), "/initrd.img") == 1);
}

TEST_CASE("a second build with unchanged inputs reuses the cached initramfs", "[unit]") {
  std::string first_path;
  nlohmann::json first_manifest;
  TempDir cache("", "kiln-initramfs-cache");
  for (int round = 0; round < 2; ++round) {
    test::TinyImage t;
    add_fake_initramfs_tools(t.ctx->rootfs_dir);
    t.ctx->options.cache_dir = cache.path();
    t.ctx->image.source_date_epoch = 42;
    run_initramfs_step(*t.ctx);
    if (round == 0) {
      CHECK_FALSE(t.ctx->image.initrd_cached);
      first_path = t.ctx->image.initrd_path;
      first_manifest = build_manifest(*t.ctx);
    } else {
      CHECK(t.ctx->image.initrd_cached);
      CHECK(t.ctx->image.initrd_path == first_path);
      // A cache hit is how the build ran, not what the image is.
      CHECK(build_manifest(*t.ctx) == first_manifest);
    }
  }
}

TEST_CASE("a failing mkinitramfs is exit 5 with its command and log, leaving nothing", "[unit]") {
  test::TinyImage t;
  add_fake_initramfs_tools(t.ctx->rootfs_dir);
  test::write_text(t.ctx->rootfs_dir + "/usr/sbin/mkinitramfs",
                   "#!/bin/sh\necho 'E: missing module erofs' >&2\nexit 3\n", 0755);
  try {
    run_initramfs_step(*t.ctx);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 5);
    CHECK_THAT(e.what(), Catch::Contains("command failed (exit status 3): bwrap --bind"));
    CHECK_THAT(e.what(), Catch::Contains("while generating the initramfs for kernel " +
                                         std::string(test::kTinyKernelVersion)));
    CHECK_THAT(e.detail(), Catch::Contains("E: missing module erofs"));
  }
  CHECK(list_dir(t.ctx->rootfs_dir + "/tmp").empty());
  CHECK(list_dir(t.ctx->options.cache_dir + "/initramfs").empty());
}

TEST_CASE("an image without initramfs-tools fails naming the package", "[unit]") {
  test::TinyImage t;
  try {
    run_initramfs_step(*t.ctx);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 4);
    CHECK(e.message() == "find mkinitramfs in '" + t.ctx->rootfs_dir +
                             "': the image has no initramfs-tools; add initramfs-tools to "
                             "base.debian.packages");
  }
}
