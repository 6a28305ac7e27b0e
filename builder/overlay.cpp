// The overlays step: built-in and user overlays in spec order (later ones
// win), each recorded in kiln.lock as "overlay:NAME" -> its tree hash.
#include "builder/overlay.hpp"

#include <fcntl.h>

#include <cerrno>

#include <sys/stat.h>

#include "builder/data_dir.hpp"
#include "builder/inputs.hpp"
#include "builder/overlay_manifest.hpp"
#include "builder/overlay_source.hpp"
#include "builder/steps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {

void apply_file_attributes(const RootDir& root, const ImageAccounts& accounts,
                           const std::vector<spec::FileAttributes>& files,
                           const std::string& where) {
  for (const auto& fa : files) {
    UniqueFd fd;
    try {
      fd = root.open(fa.path, O_RDONLY | O_NONBLOCK);
    } catch (const Error& e) {
      if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
      throw Error(where + ": files entry '" + fa.path + "' does not exist in the image",
                  kExitInvalid);
    }
    const std::string shown = root.path() + fa.path;
    if (fa.owner) {
      auto [uid, gid] = accounts.resolve(*fa.owner, where + ": owner of '" + fa.path + "'");
      if (::fchown(fd.get(), uid, gid) != 0) throw_errno("chown", shown);
    }
    // After chown, which clears set-id bits.
    mode_t mode = 0;
    if (fa.mode) {
      mode = *fa.mode;
    } else {
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) throw_errno("stat", shown);
      mode = st.st_mode & 07777;
    }
    if (::fchmod(fd.get(), mode) != 0) throw_errno("chmod", shown);
  }
}

std::string apply_overlay(BuildContext& ctx, const std::string& name, const std::string& source,
                          const std::vector<spec::FileAttributes>& spec_files) {
  const std::string where = "overlay '" + name + "'";
  try {
    RootDir root(ctx.rootfs_dir);
    OverlayWriter writer(ctx.rootfs_dir, name);
    OverlaySourceResult laid = read_overlay_source(name, source, &writer);
    OverlayManifest manifest;
    if (laid.manifest) {
      std::string shown = is_directory(source) ? source + "/" + kOverlayManifestName
                                               : source + ":" + kOverlayManifestName;
      manifest = parse_overlay_manifest(*laid.manifest, shown);
    }
    ImageAccounts accounts(root);
    for (const auto& g : manifest.groups) accounts.add_group(g, where);
    for (const auto& u : manifest.users) accounts.add_user(u, where);
    apply_file_attributes(root, accounts, manifest.files, where);
    apply_file_attributes(root, accounts, spec_files, where);
    for (const auto& arg : manifest.cmdline) {
      bool present = false;
      for (const auto& a : ctx.extra_cmdline) present = present || a == arg;
      if (!present) ctx.extra_cmdline.push_back(arg);
    }
    for (const auto& r : manifest.requirements) {
      ctx.required_paths.push_back({name, r.path, r.message});
    }
    log_debug(where + ": " + std::to_string(laid.entries) + " entries from " + source);
    return laid.tree_sha256;
  } catch (Error& e) {
    // Most messages already start with the overlay's name.
    if (!e.message().starts_with(where)) e.add_context("while applying " + where);
    throw;
  }
}

void run_kiln_boot_step(BuildContext& ctx) {
  StepTimer timer("kiln-boot");
  const std::string source = builtin_overlays_dir() + "/kiln-boot";
  if (!is_directory(source)) {
    throw Error("open '" + source +
                    "': kiln's boot tree is missing (set KILN_DATA_DIR to kiln's data directory)",
                kExitMissingInput, ENOENT);
  }
  apply_overlay(ctx, "kiln-boot", source, {});
  timer.finish();
}

void run_overlay_step(BuildContext& ctx) {
  StepTimer timer("overlays");
  std::vector<std::string> names;
  for (const auto& o : ctx.spec.overlays) {
    if (!o.builtin && !is_directory(o.path)) {
      if (!o.sha256) {
        throw Error("overlay '" + o.name + "' is a tarball and needs a sha256", kExitInvalid);
      }
      verify_sha256(o.path, *o.sha256, "overlay '" + o.name + "'");
    } else if (!is_directory(o.path)) {
      throw Error("open '" + o.path + "': the built-in overlay '" + o.name + "' is missing",
                  kExitMissingInput, ENOENT);
    }
    ctx.resolved["overlay:" + o.name] = apply_overlay(ctx, o.name, o.path, o.files);
    names.push_back(o.name);
  }
  timer.add_field("applied", names.empty() ? "none" : join(names, ", "));
  timer.finish(names.empty() ? StepStatus::Skipped : StepStatus::Ok);
}

void check_overlay_requirements(const BuildContext& ctx) {
  RootDir root(ctx.rootfs_dir);
  for (const auto& r : ctx.required_paths) {
    bool present = false;
    try {
      (void)root.open(r.path, O_PATH);
      present = true;
    } catch (const Error& e) {
      if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
    }
    if (!present) {
      throw Error(
          "overlay '" + r.overlay + "' requires '" + r.path + "' in the image: " + r.message,
          kExitMissingInput);
    }
  }
}

}  // namespace kiln
