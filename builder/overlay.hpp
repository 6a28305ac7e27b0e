// Applying overlays to the staging tree: the tree itself (overlay_source),
// then what its kiln-overlay.yaml declares (groups, users, file attributes,
// kernel arguments, required paths), then the spec's own `files` entries.
#pragma once

#include <string>
#include <vector>

#include "builder/build_context.hpp"
#include "builder/image_accounts.hpp"

namespace kiln {

// Sets owner and mode on paths inside the image; owners resolve against the
// image's accounts. `where` names the overlay in messages.
void apply_file_attributes(const RootDir& root, const ImageAccounts& accounts,
                           const std::vector<spec::FileAttributes>& files,
                           const std::string& where);

// Applies one overlay (directory or tarball at `source`) to ctx.rootfs_dir
// and returns its tree hash. Manifest kernel arguments go to
// ctx.extra_cmdline, required paths to ctx.required_paths.
std::string apply_overlay(BuildContext& ctx, const std::string& name, const std::string& source,
                          const std::vector<spec::FileAttributes>& spec_files);

// The kiln-boot tree (overlays/kiln-boot in kiln's data dir): always laid in
// right after the base, never listed in a spec. Its own step, "kiln-boot".
void run_kiln_boot_step(BuildContext& ctx);

// Throws (exit 4) naming the overlay and the path when the finished tree
// lacks a path that an overlay's manifest requires.
void check_overlay_requirements(const BuildContext& ctx);

}  // namespace kiln
