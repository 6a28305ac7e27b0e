// One `kiln build`: the steps in contract order (spec -> base -> kiln-boot
// tree -> overlays -> pins -> rke2 -> airgap -> hygiene -> firstboot ->
// initramfs -> assemble -> outputs), a private work dir beside the output
// dir (same file system, so outputs are renamed into place atomically), the
// lock file, and cleanup: after a failure or an interrupt no work dir, temp
// file or partial output remains.
#pragma once

#include <string>

#include "builder/build_context.hpp"

namespace kiln {

// Where kiln.lock lives by default: beside the spec; for the embedded
// default spec, in the output directory.
std::string default_lock_path(const spec::ImageSpec& spec, bool embedded,
                              const std::string& output_dir);

// Runs the build. Throws kiln::Error with kiln's exit code on failure (an
// out-of-space failure anywhere becomes exit 6).
void run_build(const spec::ImageSpec& spec, BuildOptions options);

// Removes work dirs under `parent` left by builds that died without cleaning
// up (killed, power loss): each live build holds a lock on its work dir.
void sweep_stale_work_dirs(const std::string& parent);

constexpr const char* kWorkDirPrefix = ".kiln-work";

}  // namespace kiln
