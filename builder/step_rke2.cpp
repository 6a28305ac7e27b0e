// The rke2 step: a verified RKE2 release artifact set installed into the
// staging tree the way upstream's install.sh does it (airgap/rke2_install),
// with every installed file's sha256 recorded as "rke2:FILE" in kiln.lock.
#include "airgap/artifact_set.hpp"
#include "airgap/rke2_install.hpp"
#include "builder/steps.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {

void run_rke2_step(BuildContext& ctx) {
  StepTimer timer("rke2");
  const spec::Rke2 rke2 = ctx.spec.rke2.value_or(spec::Rke2{});
  std::optional<std::string> dir =
      ctx.options.rke2_artifacts ? ctx.options.rke2_artifacts : rke2.artifacts;
  if (!dir) {
    throw Error(
        "rke2: no artifact directory (set rke2.artifacts in the spec or pass "
        "--rke2-artifacts DIR)",
        kExitMissingInput);
  }
  airgap::ArtifactSet set = with_context("while verifying the RKE2 artifacts", [&] {
    return airgap::verify_artifact_set(
        *dir, rke2.arch, rke2.images,
        [&](uint64_t done, uint64_t total) { timer.progress(done, total); });
  });
  for (const auto& name : set.unlisted) {
    log_debug("rke2: " + name + " is not in " + set.checksums + "; not installed");
  }
  airgap::Rke2InstallOptions o;
  o.prefix = rke2.prefix;
  o.skip_unpermitted_devices = ctx.options.rootless;
  o.progress = [&](uint64_t done, uint64_t total) { timer.progress(done, total); };
  airgap::Rke2InstallResult r = with_context("while installing the RKE2 artifacts", [&] {
    return airgap::install_rke2(set, ctx.rootfs_dir, o);
  });
  for (const auto& [key, sha] : r.lock) ctx.resolved[key] = sha;
  timer.add_field("prefix", rke2.prefix);
  timer.add_field("images", join(rke2.images, "+"));
  timer.finish();
}

}  // namespace kiln
