// The assemble step: the staging tree becomes a GPT disk in the work dir.
//   ESP        vfat, holding the UKI (systemd-stub + kernel + initramfs +
//              command line) at EFI/BOOT/BOOTX64.EFI
//   kiln-root  erofs of the tree without /var, mounted read-only
//   kiln-state ext4 with var/ and the overlay layers, grown on first boot
// No loop device, mount or root privilege: every file system is made from a
// directory and the partition table is written to a plain file.
#include <fcntl.h>
#include <unistd.h>

#include <future>

#include <sys/stat.h>

#include "builder/boot_layout.hpp"
#include "builder/disk_gpt.hpp"
#include "builder/fs_images.hpp"
#include "builder/partition_sizes.hpp"
#include "builder/reproducible.hpp"
#include "builder/sparse_copy.hpp"
#include "builder/state_tree.hpp"
#include "builder/steps.hpp"
#include "builder/tree_usage.hpp"
#include "builder/uki.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat", path);
  return static_cast<uint64_t>(st.st_size);
}

std::string kernel_cmdline(const BuildContext& ctx) {
  std::string line = kRootCmdline;
  if (!ctx.spec.boot.cmdline.empty()) line += " " + ctx.spec.boot.cmdline;
  for (const std::string& arg : ctx.extra_cmdline) line += " " + arg;
  return line;
}

// The image's os-release for the UKI's .osrel section; an image without one
// gets a minimal file naming the spec.
std::string os_release_file(const BuildContext& ctx, const std::string& dir) {
  RootDir root(ctx.rootfs_dir);
  for (const char* rel : {"etc/os-release", "usr/lib/os-release"}) {
    if (auto text = root.read_file(rel, 1 << 20)) {
      std::string out = path_join(dir, "os-release");
      write_file_atomic(out, *text);
      return out;
    }
  }
  std::string out = path_join(dir, "os-release");
  write_file_atomic(out,
                    "NAME=\"" + ctx.spec.name + "\"\nVERSION_ID=\"" + ctx.spec.version + "\"\n");
  return out;
}

// Makes the state file system; an automatic size grows and retries when
// the estimate was short, a fixed one fails naming the key.
uint64_t make_state_fs(const BuildContext& ctx, const std::string& state_dir,
                       const std::string& image, Ext4Options o, const std::string& log) {
  std::vector<std::string> paths = clamp_tree_times(state_dir, o.epoch);
  TreeUsage usage = measure_tree(state_dir);
  const spec::Partitions& parts = ctx.spec.partitions;
  o.inodes = std::max<uint64_t>(usage.inodes * 2 + 1024, 16384);
  o.log_path = log;
  if (!parts.state.automatic()) {
    // The file data is a hard lower bound; whether the metadata fits as
    // well is for mkfs to say.
    auto too_small = [&] {
      return Error("size 'partitions.state': " + human_bytes(*parts.state.bytes) +
                       " is too small for the state partition's /var (" + human_bytes(usage.bytes) +
                       " in " + std::to_string(usage.inodes) +
                       " files and directories); use a larger size or auto",
                   kExitInvalid);
    };
    if (*parts.state.bytes < usage.bytes) throw too_small();
    o.size = align_up(*parts.state.bytes, kPartitionAlign);
    o.inodes = std::min<uint64_t>(o.inodes, std::max<uint64_t>(o.size / 8192, 1024));
    if (!make_ext4(state_dir, image, o, paths)) throw too_small();
    return usage.bytes;
  }
  o.size = choose_partition_size("partitions.state", "the state partition's /var", parts.state,
                                 ext4_size_for(usage.bytes, usage.inodes), parts, kStateMinimum);
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (make_ext4(state_dir, image, o, paths)) return usage.bytes;
    log_debug("state partition of " + human_bytes(o.size) + " was too small; growing");
    o.size = align_up(o.size * 3 / 2, kPartitionAlign);
  }
  throw Error("make state file system '" + image + "': /var (" + human_bytes(usage.bytes) +
              ") did not fit even in " + human_bytes(o.size));
}

}  // namespace

void run_assemble_step(BuildContext& ctx) {
  StepTimer timer("assemble");
  ImageArtifacts& img = ctx.image;
  if (img.kernel_path.empty() || img.initrd_path.empty()) {
    throw Error("assemble '" + ctx.rootfs_dir +
                "': no kernel and initramfs; the initramfs step must run first");
  }
  if (img.source_date_epoch == 0) img.source_date_epoch = source_date_epoch();
  const int64_t epoch = img.source_date_epoch;
  const std::string seed = uuid_seed(ctx.spec.sha256, ctx.resolved);
  const spec::Partitions& parts = ctx.spec.partitions;

  std::string dir = path_join(ctx.work_dir, "assemble");
  mkdir_p(dir, 0700);
  std::string log = path_join(dir, "assemble.log");

  // The state partition's tree first: the root file system is the rest. It
  // goes beside the staging tree, on the same file system (a tmpfs when the
  // tree is staged in memory), so /var moves over by rename.
  img.state_dir = path_join(dirname_of(ctx.rootfs_dir), "state");
  with_context("while splitting /var off the image",
               [&] { split_state_tree(ctx.rootfs_dir, img.state_dir); });

  // mkfs.erofs is single-threaded and the slowest part: it runs on its own
  // thread (and the second core) while the smaller file systems are made.
  std::string root_image = path_join(dir, "root.erofs");
  std::string root_uuid = derive_uuid(seed, "fs:kiln-root");
  std::future<uint64_t> root_made = std::async(std::launch::async, [&ctx, &root_image, &root_uuid,
                                                                    epoch, &dir] {
    return make_erofs(ctx.rootfs_dir, root_image, {root_uuid, epoch, path_join(dir, "root.log")});
  });

  std::string state_image = path_join(dir, "state.ext4");
  Ext4Options ext4;
  ext4.label = kStatePartName;
  ext4.uuid = derive_uuid(seed, "fs:kiln-state");
  ext4.hash_seed = derive_uuid(seed, "fs:kiln-state:hash-seed");
  ext4.epoch = epoch;
  uint64_t state_bytes = make_state_fs(ctx, img.state_dir, state_image, ext4, log);
  uint64_t state_size = file_size(state_image);

  img.cmdline = kernel_cmdline(ctx);
  img.stub_path = find_efi_stub(ctx.rootfs_dir);
  img.stub_sha256 = sha256_file(img.stub_path);
  std::string uki = path_join(dir, "BOOTX64.EFI");
  build_uki({img.stub_path, img.kernel_path, img.initrd_path, img.cmdline,
             os_release_file(ctx, dir), epoch},
            uki, dir);
  uint64_t uki_bytes = file_size(uki);
  uint64_t esp_size = choose_partition_size("partitions.esp", "the EFI system partition's UKI",
                                            parts.esp, esp_size_for(uki_bytes), parts, kEspMinimum);
  std::string esp_image = path_join(dir, "esp.vfat");
  std::string volume_id = derive_volume_id(seed, "fs:esp");
  make_esp(esp_image, {"ESP", volume_id, epoch, esp_size, log}, {{uki, kUkiEspPath}});

  uint64_t root_bytes = root_made.get();
  uint64_t root_size = choose_partition_size("partitions.root", "the root file system", parts.root,
                                             root_bytes, parts, kRootMinimum);

  // Lay the partitions out back to back on 1 MiB boundaries.
  struct Part {
    const char* name;
    const char* type;
    std::string image;
    uint64_t size;
    const char* fs;
    std::string fs_uuid;
    uint64_t payload;
  };
  std::string vol = volume_id.substr(0, 4) + "-" + volume_id.substr(4);
  for (char& c : vol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<Part> layout{
      {kEspPartName, kGptTypeEsp, esp_image, esp_size, "vfat", vol, uki_bytes},
      {kRootPartName, kGptTypeRootX86_64, root_image, root_size, "erofs", root_uuid, root_bytes},
      {kStatePartName, kGptTypeLinuxData, state_image, state_size, "ext4", ext4.uuid, state_bytes}};
  GptTable table;
  table.disk_guid = derive_uuid(seed, "gpt:disk");
  img.partitions.clear();
  uint64_t offset = kDiskLeadIn;
  for (const Part& p : layout) {
    GptEntry e{p.name, p.type, derive_uuid(seed, std::string("gpt:") + p.name), offset, p.size};
    table.entries.push_back(e);
    img.partitions.push_back(
        {e.name, e.type_guid, e.uuid, e.start, e.size, p.fs, p.fs_uuid, p.payload});
    offset += p.size;
  }
  img.disk_size = offset + kDiskLeadOut;
  img.disk_guid = table.disk_guid;
  img.disk_path = path_join(ctx.work_dir, "disk.raw");
  {
    UniqueFd disk = open_file(img.disk_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (::ftruncate(disk.get(), static_cast<off_t>(img.disk_size)) != 0) {
      throw_errno("resize", img.disk_path);
    }
  }
  write_gpt(img.disk_path, table);
  {
    UniqueFd disk = open_file(img.disk_path, O_RDWR);
    for (size_t i = 0; i < layout.size(); ++i) {
      copy_sparse_into(layout[i].image, disk.get(), table.entries[i].start, img.disk_path);
      ::unlink(layout[i].image.c_str());
    }
    // No fsync here: the disk is a work file; the output step syncs what it
    // publishes.
  }
  // GPT GUIDs are upper-case, as libfdisk reads them back.
  for (PartitionInfo& p : img.partitions) {
    for (char& c : p.uuid) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (char& c : img.disk_guid) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  timer.add_field("disk", human_bytes(img.disk_size));
  timer.add_field("root", human_bytes(root_size));
  timer.add_field("state", human_bytes(state_size));
  timer.finish();
}

}  // namespace kiln
