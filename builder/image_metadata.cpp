#include "builder/image_metadata.hpp"

#include <nlohmann/json.hpp>

#include "util/root_dir.hpp"

namespace kiln {

std::string render_image_metadata(const spec::ImageSpec& spec, bool rke2_installed) {
  nlohmann::json j = {{"name", spec.name}, {"version", spec.version}, {"spec_sha256", spec.sha256}};
  if (spec.rke2) {
    j["rke2"] = {{"version", spec.rke2->version}, {"prefix", spec.rke2->prefix}};
  } else if (rke2_installed) {
    // `kiln build --rke2-artifacts DIR` without an rke2 section: RKE2 is in
    // the image (at the default prefix), its release is not named anywhere.
    j["rke2"] = {{"version", ""}, {"prefix", spec::Rke2{}.prefix}};
  }
  return j.dump(2) + "\n";
}

void write_image_metadata(const BuildContext& ctx) {
  RootDir root(ctx.rootfs_dir);
  root.mkdirs("/usr/lib/kiln", 0755);
  root.write_file(kImageMetadataPath,
                  render_image_metadata(ctx.spec, ctx.options.rke2_artifacts.has_value()), 0644,
                  std::pair{0U, 0U});
}

}  // namespace kiln
