// /usr/lib/kiln/image.json: what an image knows about itself, for
// kiln-firstboot (which RKE2 profiles are valid) and for people:
//   {"name", "version", "spec_sha256", "rke2": {"version", "prefix"}}
// ("rke2" when the image has RKE2: the spec's rke2 section, or
// --rke2-artifacts alone, whose version is then unknown: "").
#pragma once

#include <string>

#include "builder/build_context.hpp"

namespace kiln {

constexpr const char* kImageMetadataPath = "/usr/lib/kiln/image.json";

std::string render_image_metadata(const spec::ImageSpec& spec, bool rke2_installed = false);
void write_image_metadata(const BuildContext& ctx);

}  // namespace kiln
