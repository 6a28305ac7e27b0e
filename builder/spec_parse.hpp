// Strict parsing of image specs. Every problem is reported as
// "SPEC:LINE:COL: message", all of them, not only the first.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "builder/spec.hpp"
#include "util/diagnostics.hpp"

namespace kiln::spec {

// The built-in tree the pipeline lays into every image; specs never list it.
constexpr const char* kBootOverlayName = "kiln-boot";

// Exit status of every command that rejects a spec.
constexpr int kExitInvalidSpec = 2;

struct ParseOptions {
  // Directory holding the built-in overlays (rke2-base, cis, fips).
  std::string overlays_dir;
  // Check that local input files exist (kiln validate and kiln build do).
  bool check_files = true;
};

struct ParseResult {
  std::optional<ImageSpec> spec;  // set when there are no errors
  Diagnostics diagnostics;
};

// `display_path` is how the spec is named in messages (as the user typed it).
ParseResult parse_spec(std::string_view text, const std::string& display_path,
                       const ParseOptions& options);
// Reads and parses; throws Error(exit kExitInvalidSpec) listing every error.
ImageSpec load_spec(const std::string& path, const ParseOptions& options);

}  // namespace kiln::spec
