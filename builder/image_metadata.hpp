// /usr/lib/kiln/image.json: what an image knows about itself, for
// kiln-firstboot (which RKE2 profiles are valid) and for people:
//   {"name", "version", "spec_sha256", "rke2": {"version", "prefix"}}
// ("rke2" only when the spec has an rke2 section).
#pragma once

#include <string>

#include "builder/build_context.hpp"

namespace kiln {

constexpr const char* kImageMetadataPath = "/usr/lib/kiln/image.json";

std::string render_image_metadata(const spec::ImageSpec& spec);
void write_image_metadata(const BuildContext& ctx);

}  // namespace kiln
