#include "builder/staging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/spec_values.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/meminfo.hpp"
#include "util/mount_namespace.hpp"
#include "util/strings.hpp"
#include "util/tmpfs_mount.hpp"

namespace kiln {
namespace {

// Room for what later steps add (overlays, pins, RKE2 and airgap images)
// on top of twice the base.
constexpr uint64_t kLaterStepsAllowance = 512ULL << 20;

// The extended attributes unpacked image files carry, each with a value the
// kernel accepts: a user attribute, an empty file capability (VFS_CAP
// revision 2) and an access ACL equal to mode 0644.
struct XattrProbe {
  const char* name;
  std::string_view value;
};
constexpr char kCapV2[] =
    "\x00\x00\x00\x02"
    "\x00\x00\x00\x00"
    "\x00\x00\x00\x00"
    "\x00\x00\x00\x00"
    "\x00\x00\x00\x00";
constexpr char kAcl0644[] =
    "\x02\x00\x00\x00"                   // version 2
    "\x01\x00\x06\x00\xff\xff\xff\xff"   // user::rw-
    "\x04\x00\x04\x00\xff\xff\xff\xff"   // group::r--
    "\x20\x00\x04\x00\xff\xff\xff\xff";  // other::r--
const std::array<XattrProbe, 3> kXattrProbes{{
    {"user.kiln-probe", std::string_view("1", 1)},
    {"security.capability", std::string_view(kCapV2, sizeof kCapV2 - 1)},
    {"system.posix_acl_access", std::string_view(kAcl0644, sizeof kAcl0644 - 1)},
}};

}  // namespace

StagingRequest parse_staging(const std::string& value) {
  StagingRequest r;
  if (value == "auto") return r;
  if (value == "disk") {
    r.mode = StagingRequest::Mode::Disk;
    return r;
  }
  if (value == "memory") {
    r.mode = StagingRequest::Mode::Memory;
    return r;
  }
  if (value.starts_with("memory:")) {
    auto size = spec::parse_size(value.substr(7));
    if (size && *size >= (1ULL << 20)) {
      r.mode = StagingRequest::Mode::Memory;
      r.memory_limit = *size;
      return r;
    }
  }
  throw Error("--staging '" + value +
                  "': expected auto, disk, memory or memory:SIZE (SIZE at least 1M, e.g. 8G)",
              kExitInvalid);
}

StagingPlan plan_staging(const StagingRequest& request, uint64_t estimated_tree_bytes,
                         std::optional<uint64_t> memory_available, bool keep_work) {
  using Mode = StagingRequest::Mode;
  if (request.mode == Mode::Disk) return {false, 0, "--staging disk"};
  if (keep_work) return {false, 0, "--keep-work keeps the tree on disk"};
  if (request.mode == Mode::Memory) {
    if (request.memory_limit) return {true, *request.memory_limit, "--staging memory"};
    if (!memory_available) {
      throw Error(
          "--staging memory: cannot read MemAvailable from /proc/meminfo; give the "
          "limit as --staging memory:SIZE",
          kExitInvalid);
    }
    return {true, *memory_available / 2, "--staging memory"};
  }
  if (!memory_available) return {false, 0, "the available memory is unknown"};
  const uint64_t limit = *memory_available / 2;
  const uint64_t needed = 2 * estimated_tree_bytes + kLaterStepsAllowance;
  if (needed > limit) {
    return {false, 0,
            "the tree (about " + human_bytes(estimated_tree_bytes) +
                ") needs more than half the available memory (" + human_bytes(*memory_available) +
                ")"};
  }
  return {true, limit,
          "the tree (about " + human_bytes(estimated_tree_bytes) + ") fits in half the available " +
              "memory"};
}

uint64_t estimated_unpacked_bytes(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat", path);
  unsigned char magic[6] = {};
  const ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
  const auto starts = [&](std::initializer_list<unsigned char> bytes) {
    if (n < static_cast<ssize_t>(bytes.size())) return false;
    size_t i = 0;
    for (unsigned char b : bytes) {
      if (magic[i++] != b) return false;
    }
    return true;
  };
  const bool compressed = starts({0x1f, 0x8b}) || starts({0x28, 0xb5, 0x2f, 0xfd}) ||
                          starts({0xfd, '7', 'z', 'X', 'Z', 0x00}) || starts({'B', 'Z', 'h'});
  const auto size = static_cast<uint64_t>(st.st_size);
  return compressed ? 4 * size : size;
}

void prepare_staging_tree(BuildContext& ctx, uint64_t estimated_tree_bytes, StepTimer& timer) {
  StagingPlan plan = plan_staging(ctx.options.staging, estimated_tree_bytes,
                                  memory_available_bytes(), ctx.options.keep_work);
  if (plan.in_memory) {
    try {
      // The base step runs before the build starts any thread, so the whole
      // process, and every command it runs later, sees the tmpfs.
      const std::string stage = dirname_of(ctx.rootfs_dir);
      if (list_dir(stage) != std::vector<std::string>{basename_of(ctx.rootfs_dir)} ||
          !list_dir(ctx.rootfs_dir).empty()) {
        throw Error("stage in memory at '" + stage +
                    "': it must hold nothing but the empty staging tree");
      }
      enter_private_mount_namespace();
      TmpfsMount mounted = TmpfsMount::mount(stage, plan.limit);
      mkdir_p(ctx.rootfs_dir, 0755);
      for (const auto& probe : kXattrProbes) {
        if (!xattr_settable(ctx.rootfs_dir, probe.name, probe.value)) {
          throw Error("set extended attribute '" + std::string(probe.name) + "' on '" +
                      ctx.rootfs_dir + "': tmpfs here does not support it");
        }
      }
      ctx.staging_mount = std::move(mounted);
    } catch (Error& e) {
      if (ctx.options.staging.mode == StagingRequest::Mode::Memory) {
        e.add_context("while staging the tree in memory (--staging memory)");
        throw;
      }
      log_debug(std::string("staging the tree on disk: ") + e.what());
      plan = {false, 0, std::string("tmpfs cannot be used: ") + e.what()};
    }
  }
  timer.add_field("staging", plan.in_memory ? "memory" : "disk");
  if (plan.in_memory) timer.add_field("staging_limit", human_bytes(plan.limit));
  timer.add_field("staging_reason", plan.reason);
}

std::optional<std::string> staging_full_hint(const BuildContext& ctx) {
  if (!ctx.staging_mount) return std::nullopt;
  return "in the staging tree in memory (limit " + human_bytes(ctx.staging_mount->size_bytes()) +
         "; build with --staging disk, or a larger --staging memory:SIZE)";
}

}  // namespace kiln
