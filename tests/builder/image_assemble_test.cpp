// The assemble step on a tiny tree: GPT layout, what lands on which
// partition, bit-identical rebuilds, and sizes that do not fit.
#include <catch2/catch.hpp>

#include "builder/boot_layout.hpp"
#include "builder/disk_gpt.hpp"
#include "builder/partition_sizes.hpp"
#include "builder/steps.hpp"
#include "builder/uki.hpp"
#include "tests/builder/image_fixture.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

// Extracts `bytes` at `offset` of `disk` into `out`.
void extract(const std::string& disk, uint64_t offset, uint64_t size, const std::string& out) {
  run({"dd", "if=" + disk, "of=" + out, "bs=1M", "skip=" + std::to_string(offset >> 20),
       "count=" + std::to_string(size >> 20), "status=none"});
}

const PartitionInfo& part(const BuildContext& ctx, const std::string& name) {
  for (const auto& p : ctx.image.partitions) {
    if (p.name == name) return p;
  }
  FAIL("no partition " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("assemble lays out ESP, erofs root and ext4 state on a GPT", "[unit]") {
  test::TinyImage t;
  t.as_if_initramfs_ran();
  run_assemble_step(*t.ctx);
  const ImageArtifacts& img = t.ctx->image;

  GptTable gpt = read_gpt(img.disk_path);
  REQUIRE(gpt.entries.size() == 3);
  CHECK(gpt.disk_guid == img.disk_guid);
  CHECK(gpt.entries[0].name == "esp");
  CHECK(gpt.entries[0].type_guid == kGptTypeEsp);
  CHECK(gpt.entries[1].name == "kiln-root");
  CHECK(gpt.entries[1].type_guid == kGptTypeRootX86_64);
  CHECK(gpt.entries[2].name == "kiln-state");
  CHECK(gpt.entries[2].type_guid == kGptTypeLinuxData);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(gpt.entries[i].start == img.partitions[i].start);
    CHECK(gpt.entries[i].size == img.partitions[i].size);
    CHECK(gpt.entries[i].uuid == img.partitions[i].uuid);
    CHECK(gpt.entries[i].start % kPartitionAlign == 0);
  }
  CHECK(gpt.entries[0].start == kDiskLeadIn);
  CHECK(gpt.entries[1].start == gpt.entries[0].start + gpt.entries[0].size);
  CHECK(gpt.entries[2].start == gpt.entries[1].start + gpt.entries[1].size);
  CHECK(img.disk_size == gpt.entries[2].start + gpt.entries[2].size + kDiskLeadOut);
  CHECK(part(*t.ctx, "esp").size == kEspMinimum);
  CHECK(part(*t.ctx, "kiln-state").size == kStateMinimum);
  CHECK(img.cmdline == "root=PARTLABEL=kiln-root rootfstype=erofs ro console=ttyS0");

  // The state partition holds /var and the overlay layers; the root keeps
  // an empty /var as the mount point.
  std::string state = t.dir.path() + "/state.img";
  extract(img.disk_path, part(*t.ctx, "kiln-state").start, part(*t.ctx, "kiln-state").size, state);
  auto cat = run({"debugfs", "-R", "cat /var/lib/tiny/data", state});
  CHECK(cat.out == "state that must persist\n");
  auto ls = run({"debugfs", "-R", "ls -p /overlay", state});
  for (const char* layer : {"etc", "root", "home"}) {
    INFO(layer);
    CHECK(ls.out.find(std::string("/") + layer + "/") != std::string::npos);
  }
  auto root_upper = run({"debugfs", "-R", "stat /overlay/root/upper", state});
  CHECK(root_upper.out.find("Mode:  0700") != std::string::npos);
  auto label = run({"blkid", "-o", "value", "-s", "LABEL", state});
  CHECK(label.out == "kiln-state\n");

  std::string root = t.dir.path() + "/root.img";
  extract(img.disk_path, part(*t.ctx, "kiln-root").start, part(*t.ctx, "kiln-root").size, root);
  CHECK(run({"blkid", "-o", "value", "-s", "TYPE", root}).out == "erofs\n");
  CHECK(list_dir(t.ctx->rootfs_dir + "/var").empty());

  // The ESP carries the UKI, whose sections are the kernel, initrd and
  // command line.
  std::string esp = t.dir.path() + "/esp.img";
  extract(img.disk_path, part(*t.ctx, "esp").start, part(*t.ctx, "esp").size, esp);
  std::string uki = t.dir.path() + "/uki.efi";
  run({"mcopy", "-i", esp, std::string("::/") + kUkiEspPath, uki});
  PeImage pe = read_pe(uki);
  std::map<std::string, PeSection> sections;
  for (const auto& s : pe.sections) sections[s.name] = s;
  for (const char* name : {".osrel", ".cmdline", ".linux", ".initrd"}) {
    INFO(name);
    CHECK(sections.count(name) == 1);
  }
  std::string uki_bytes = read_file(uki, 64 << 20);
  auto section_text = [&](const char* name) {
    const PeSection& s = sections.at(name);
    return uki_bytes.substr(s.file_offset, s.vsize);
  };
  CHECK(section_text(".cmdline") == img.cmdline);
  CHECK(section_text(".linux") == read_file(img.kernel_path, 64 << 20));
  CHECK(section_text(".initrd") == read_file(t.initrd, 64 << 20));
}

TEST_CASE("two assemblies of the same inputs are bit-identical", "[unit]") {
  std::string first;
  std::string second;
  for (std::string* sum : {&first, &second}) {
    test::TinyImage t;
    t.as_if_initramfs_ran();
    run_assemble_step(*t.ctx);
    *sum = sha256_file(t.ctx->image.disk_path);
  }
  CHECK(first == second);

  // A different lock gives different GUIDs (and so a different disk).
  test::TinyImage t;
  t.as_if_initramfs_ran();
  t.ctx->resolved["overlay:extra"] = std::string(64, 'c');
  run_assemble_step(*t.ctx);
  CHECK(sha256_file(t.ctx->image.disk_path) != first);
}

TEST_CASE("a fixed partition size too small for its payload is a clear error", "[unit]") {
  SECTION("root") {
    test::TinyImage t;
    t.as_if_initramfs_ran();
    t.spec.partitions.root.bytes = 64 << 10;
    try {
      run_assemble_step(*t.ctx);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInvalid);
      CHECK_THAT(e.message(),
                 Catch::Matches("size 'partitions\\.root': 64\\.0 KiB is too small for "
                                "the root file system \\(.* KiB\\); use a larger "
                                "size or auto"));
    }
    CHECK(!path_exists(t.ctx->work_dir + "/disk.raw"));
  }
  SECTION("state") {
    test::TinyImage t;
    t.as_if_initramfs_ran();
    t.spec.partitions.state.bytes = 2 << 20;
    try {
      run_assemble_step(*t.ctx);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInvalid);
      CHECK_THAT(e.message(),
                 Catch::Matches("size 'partitions\\.state': 2\\.0 MiB is too small for the state "
                                "partition's /var \\(3\\.1 MiB in 18 files and "
                                "directories\\); use a larger size or auto"));
    }
    CHECK(!path_exists(t.ctx->work_dir + "/disk.raw"));
  }
  SECTION("esp") {
    test::TinyImage t;
    t.as_if_initramfs_ran();
    // Bigger than the 32 MiB floor of a fixed ESP, smaller than the UKI.
    t.initrd = t.dir.path() + "/big-initrd.img";
    test::write_text(t.initrd, test::pseudo_random_bytes(40 << 20, 9));
    t.ctx->image.initrd_path = t.initrd;
    t.spec.partitions.esp.bytes = 32 << 20;
    try {
      run_assemble_step(*t.ctx);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.exit_code() == kExitInvalid);
      CHECK_THAT(e.message(), Catch::StartsWith("size 'partitions.esp': 32.0 MiB is too small "
                                                "for the EFI system partition's UKI ("));
    }
  }
}

TEST_CASE("fixed sizes and headroom shape the disk", "[unit]") {
  test::TinyImage t;
  t.as_if_initramfs_ran();
  t.spec.partitions.state.bytes = 300ULL << 20;
  t.spec.partitions.root.bytes = 40ULL << 20;
  t.spec.partitions.esp.bytes = 100ULL << 20;
  t.ctx->extra_cmdline = {"fips=1"};
  run_assemble_step(*t.ctx);
  CHECK(part(*t.ctx, "esp").size == 100ULL << 20);
  CHECK(part(*t.ctx, "kiln-root").size == 40ULL << 20);
  CHECK(part(*t.ctx, "kiln-state").size == 300ULL << 20);
  CHECK(t.ctx->image.cmdline ==
        "root=PARTLABEL=kiln-root rootfstype=erofs ro console=ttyS0 fips=1");
}

TEST_CASE("assemble needs the initramfs step's results", "[unit]") {
  test::TinyImage t;
  try {
    run_assemble_step(*t.ctx);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.message() == "assemble '" + t.ctx->rootfs_dir +
                             "': no kernel and initramfs; the initramfs step must run first");
  }
}
