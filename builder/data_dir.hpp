// Where kiln finds its data (built-in overlays, example specs) and the
// embedded default spec.
#pragma once

#include <string>

namespace kiln {

// $KILN_DATA_DIR, else <exe>/../share/kiln when installed, else the source
// tree this binary was built from.
std::string kiln_data_dir();
std::string builtin_overlays_dir();

// images/default.yaml, compiled into the binary.
const std::string& embedded_default_spec();
// The name under which the embedded spec is reported, and the directory its
// relative paths resolve against.
constexpr const char* kEmbeddedSpecName = "<embedded>/default.yaml";

}  // namespace kiln
