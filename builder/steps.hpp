// The build pipeline's steps, in the order they run. Each takes the shared
// BuildContext and works on ctx.rootfs_dir (or the work dir), so each can be
// tested on a plain directory.
#pragma once

#include "builder/build_context.hpp"

namespace kiln {

// base: fills ctx.rootfs_dir from the spec's base (debian / tarball / oci).
void run_base_step(BuildContext& ctx);
// The OCI-archive flavour of the base step (layers applied with whiteouts).
void apply_oci_base(BuildContext& ctx, const spec::OciBase& base);
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

}  // namespace kiln
