// The base step: fills the staging tree from the spec's base (Debian through
// mmdebstrap, a rootfs tarball, or an OCI archive) and records what it
// resolved to in kiln.lock's "base" entry.
#include <variant>

#include "builder/base_debian.hpp"
#include "builder/dpkg_status.hpp"
#include "builder/inputs.hpp"
#include "builder/staging.hpp"
#include "builder/steps.hpp"
#include "util/archive_extract.hpp"
#include "util/error.hpp"
#include "util/root_dir.hpp"

namespace kiln {
namespace {

void apply_tarball_base(BuildContext& ctx, const spec::TarballBase& base, StepTimer& timer) {
  const std::string what = "base tarball";
  std::string path = fetch_pinned(ctx, base.source, what, &timer);
  prepare_staging_tree(ctx, estimated_unpacked_bytes(path), timer);
  ExtractOptions eo;
  eo.skip_unpermitted_devices = ctx.options.rootless;
  eo.on_progress = [&timer](uint64_t done, uint64_t total) { timer.progress(done, total); };
  with_context("while unpacking the " + what + " '" + base.source.location + "'",
               [&] { extract_tree(path, ctx.rootfs_dir, eo); });
  ctx.resolved["base"] = base.source.sha256;
}

}  // namespace

void run_base_step(BuildContext& ctx) {
  StepTimer timer("base");
  bool cached = false;
  if (const auto* debian = std::get_if<spec::DebianBase>(&ctx.spec.base)) {
    timer.add_field("source", "debian " + debian->suite);
    cached = build_debian_base(ctx, *debian, timer);
  } else if (const auto* tarball = std::get_if<spec::TarballBase>(&ctx.spec.base)) {
    timer.add_field("source", "tarball");
    apply_tarball_base(ctx, *tarball, timer);
  } else {
    const auto& oci = std::get<spec::OciBase>(ctx.spec.base);
    timer.add_field("source", "oci");
    apply_oci_base(ctx, oci, timer);
    if (ctx.resolved.count("base") == 0) ctx.resolved["base"] = oci.source.sha256;
  }
  ctx.report.packages = read_installed_packages(RootDir(ctx.rootfs_dir));
  if (std::holds_alternative<spec::DebianBase>(ctx.spec.base)) {
    // A Debian base is what the mirror resolved the package list to.
    ctx.resolved["base"] = package_list_sha256(ctx.report.packages);
  }
  timer.add_field("packages", ctx.report.packages.size());
  timer.finish(cached ? StepStatus::Cached : StepStatus::Ok);
}

}  // namespace kiln
