// The build pipeline's steps, in the order they run. Each takes the shared
// BuildContext and works on ctx.rootfs_dir (or the work dir), so each can be
// tested on a plain directory.
#pragma once

#include "builder/build_context.hpp"
#include "util/log.hpp"

namespace kiln {

// base: fills ctx.rootfs_dir from the spec's base (debian / tarball / oci).
void run_base_step(BuildContext& ctx);
// The OCI-archive flavour of the base step (layers applied with whiteouts);
// `timer` is the base step's, which gets the staging fields.
void apply_oci_base(BuildContext& ctx, const spec::OciBase& base, StepTimer& timer);
// overlays: built-in and user overlays in spec order, then file attributes.
void run_overlay_step(BuildContext& ctx);
// pins: verified binaries installed at their destinations.
void run_pin_step(BuildContext& ctx);
// rke2: a verified RKE2 artifact set installed the way install.sh does it.
void run_rke2_step(BuildContext& ctx);
// airgap: image archives into /var/lib/rancher/rke2/agent/images, and
// registries.yaml.
void run_airgap_step(BuildContext& ctx);
// hygiene: machine-id, host keys, caches, logs; fills ctx.report.removed.
void run_hygiene_step(BuildContext& ctx);
// firstboot: kiln-firstboot, its unit and an optional baked-in seed.
void run_firstboot_step(BuildContext& ctx);
// initramfs: generated inside the staging tree from its own kernel with its
// own initramfs-tools, cached by a hash of everything that shapes it; fills
// ctx.image.kernel_* and initrd_path (builder/step_initramfs.cpp).
void run_initramfs_step(BuildContext& ctx);
// assemble: erofs root, ext4 state (the tree's /var), ESP with the UKI, and a
// GPT disk in the work dir; fills ctx.image (builder/step_assemble.cpp).
void run_assemble_step(BuildContext& ctx);
// outputs: the spec's output formats in options.output_dir, each written to a
// temp name and renamed when complete, then manifest.json
// (builder/step_output.cpp).
void run_output_step(BuildContext& ctx);

}  // namespace kiln
