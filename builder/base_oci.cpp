// The OCI flavour of the base step: a docker-archive, oci-archive or OCI
// layout (sha256-pinned like every input), its linux/amd64 image resolved
// and every blob verified, then its layers applied in order with OCI
// whiteouts (airgap/layer_apply). Layers of a tar archive are first copied
// out, verified, into the work dir, because a tar is read front to back and
// may hold the layers in any order.
#include "airgap/image_ref.hpp"
#include "airgap/image_source.hpp"
#include "airgap/layer_apply.hpp"
#include "builder/inputs.hpp"
#include "builder/steps.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

const airgap::Image& select_image(const airgap::ImageSource& source, const spec::OciBase& base) {
  const auto& images = source.images();
  if (base.image.empty()) {
    if (images.size() != 1) {
      throw Error("base image '" + base.source.location + "' holds " +
                      std::to_string(images.size()) + " images; choose one with base.oci.image",
                  kExitInvalid);
    }
    return images.front();
  }
  // One image without a name (an OCI layout tagged only "1.0") is the one meant.
  if (images.size() == 1 && images.front().names.empty()) return images.front();
  auto want = airgap::try_parse_image_ref(base.image);
  std::string name = want ? want->image_name() : base.image;
  std::vector<std::string> all;
  for (const auto& img : images) {
    for (const auto& n : img.names) {
      if (n == name) return img;
      all.push_back(n);
    }
  }
  throw Error("base image '" + base.source.location + "' has no image '" + base.image +
                  "' (it has: " + (all.empty() ? std::string("no named images") : join(all, ", ")) +
                  ")",
              kExitMissingInput);
}

}  // namespace

void apply_oci_base(BuildContext& ctx, const spec::OciBase& base, StepTimer& timer) {
  std::string path = fetch_pinned(ctx, base.source, "base OCI image");
  with_context("while applying the base OCI image '" + base.source.location + "'", [&] {
    auto source = airgap::open_image_source(path);
    const airgap::Image& img = select_image(*source, base);
    // Every layer, verified, where it can be read in order.
    std::string blobs = ctx.work_dir + "/base-layers";
    mkdir_p(blobs);
    source->read_blobs(img.parsed.layers, [&](const airgap::Descriptor& d,
                                              airgap::InputStream& in) {
      AtomicFile out(blobs + "/" + d.digest.substr(7), 0600);
      airgap::pump(in, [&](const char* data, size_t n) { out.write(std::string_view(data, n)); });
      out.commit();
    });
    uint64_t estimate = 0;
    for (const auto& layer : img.parsed.layers) {
      estimate += estimated_unpacked_bytes(blobs + "/" + layer.digest.substr(7));
    }
    prepare_staging_tree(ctx, estimate, timer);
    airgap::LayerApplyOptions o;
    o.skip_unpermitted_devices = ctx.options.rootless;
    for (size_t i = 0; i < img.parsed.layers.size(); ++i) {
      const auto& layer = img.parsed.layers[i];
      airgap::FdInputStream in(blobs + "/" + layer.digest.substr(7));
      airgap::apply_layer(in, "layer " + std::to_string(i + 1) + " (" + layer.digest + ")",
                          ctx.rootfs_dir, o);
    }
    remove_tree(blobs);
    ctx.resolved["base"] = base.source.sha256;
  });
}

}  // namespace kiln
