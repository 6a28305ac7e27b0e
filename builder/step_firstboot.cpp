// The firstboot step: installs the kiln-firstboot built by this tree (after
// checking that the image has every library it needs), its unit (enabled for
// multi-user.target), the seed file systems' modules-load.d entry,
// /usr/lib/kiln/image.json, and the spec's baked-in seed after validating
// it with kiln-firstboot's own checks.
#include <fcntl.h>

#include "builder/data_dir.hpp"
#include "builder/image_metadata.hpp"
#include "builder/runtime_libs.hpp"
#include "builder/seed_fs_modules.hpp"
#include "builder/steps.hpp"
#include "builder/systemd_units.hpp"
#include "builder/tree_hash.hpp"
#include "firstboot/seed_check.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr const char* kFirstbootPath = "/usr/lib/kiln/kiln-firstboot";
constexpr const char* kSeedDir = "/usr/lib/kiln/seed";
constexpr const char* kUnitName = "kiln-firstboot.service";
// The status channel's responder (docs/cluster.md): wanted by the device of
// the virtio-serial port only `kiln cluster` VMs have, so it runs nowhere
// else.
constexpr const char* kStatusPortUnit = "kiln-status-port.service";
constexpr const char* kStatusPortDevice = "dev-virtio\\x2dports-org.kiln.status.device";

void install_file(const RootDir& root, const std::string& from, const std::string& to,
                  mode_t mode) {
  std::string leaf;
  UniqueFd parent = root.open_parent(to, leaf, true, 0755);
  UniqueFd dir = open_file_at(parent.get(), ".", O_RDONLY | O_DIRECTORY);
  AtomicFile out(dir.get(), leaf, mode, root.path() + to);
  UniqueFd in = open_file(from, O_RDONLY);
  copy_fd(in.get(), out.fd(), from, root.path() + to);
  out.set_owner(0, 0);
  out.commit();
}

// Copies the seed (0700 directory, 0600 files: user-data may hold secrets)
// and returns its tree hash for kiln.lock.
// validate_seed() has checked that it holds nothing else.
std::string install_seed(const RootDir& root, const std::string& seed) {
  root.remove(kSeedDir);
  root.mkdirs(kSeedDir, 0700);
  TreeHasher hash;
  for (const char* name : {"user-data", "meta-data", "network-config"}) {
    const std::string from = seed + "/" + name;
    if (!path_exists(from)) {
      if (std::string(name) == "network-config") continue;
      throw Error("firstboot.seed '" + seed + "' has no " + name, kExitMissingInput);
    }
    std::string data = read_file(from, 16 << 20);
    root.write_file(std::string(kSeedDir) + "/" + name, data, 0600, std::pair{0U, 0U});
    hash.file(name, 0600, 0, 0, sha256_hex(data));
  }
  return hash.hex_digest();
}

void validate_seed(const BuildContext& ctx, const std::string& seed) {
  std::optional<std::string> rke2_version;
  if (ctx.spec.rke2) rke2_version = ctx.spec.rke2->version;
  auto check = firstboot::validate_seed_dir(seed, "firstboot.seed", ctx.rootfs_dir, rke2_version);
  for (const auto& w : check.warnings) log_warning(w.str());
  if (check.ok()) return;
  std::string detail;
  for (size_t i = 1; i < check.errors.size(); ++i) detail += check.errors[i].str() + "\n";
  Error e(check.errors.front().str(), kExitInvalid);
  if (!detail.empty()) e.set_detail(detail);
  throw e;
}

}  // namespace

void run_firstboot_step(BuildContext& ctx) {
  StepTimer timer("firstboot");
  RootDir root(ctx.rootfs_dir);
  const std::string& binary = ctx.options.firstboot_binary;
  if (binary.empty() || !path_exists(binary)) {
    throw Error("open '" + binary +
                    "': no kiln-firstboot to install (build it, or pass --firstboot-binary)",
                kExitMissingInput, ENOENT);
  }
  const std::string unit = kiln_data_dir() + "/firstboot/units/" + kUnitName;
  if (!path_exists(unit)) {
    throw Error("open '" + unit + "': kiln-firstboot's unit is missing (set KILN_DATA_DIR)",
                kExitMissingInput, ENOENT);
  }
  check_runtime_libraries(root, binary, "kiln-firstboot");
  install_file(root, binary, kFirstbootPath, 0755);
  replace_symlink(root, "/usr/bin/kiln-firstboot", "../lib/kiln/kiln-firstboot");
  install_unit(root, kUnitName, read_file(unit, 1 << 20));
  enable_unit(root, kUnitName, "multi-user.target");
  std::vector<std::string> modules = install_seed_fs_modules(root);
  if (!modules.empty()) timer.add_field("seed_modules", join(modules, ","));
  const std::string status_unit = kiln_data_dir() + "/firstboot/units/" + kStatusPortUnit;
  install_unit(root, kStatusPortUnit, read_file(status_unit, 1 << 20));
  enable_unit(root, kStatusPortUnit, kStatusPortDevice);
  write_image_metadata(ctx);
  if (ctx.spec.firstboot.seed) {
    const std::string& seed = *ctx.spec.firstboot.seed;
    validate_seed(ctx, seed);
    ctx.resolved["seed"] = install_seed(root, seed);
    timer.add_field("seed", "baked in");
  }
  timer.finish();
}

}  // namespace kiln
