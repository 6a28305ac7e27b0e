// Parsers for the value types that image specs use: sizes, modes, owners,
// in-image paths and input paths relative to the spec.
#pragma once

#include <sys/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "builder/spec.hpp"
#include "util/diagnostics.hpp"

namespace kiln::spec {

// "512M", "2G", "1.5GiB", "1048576" -> bytes. nullopt if malformed.
std::optional<uint64_t> parse_size(std::string_view text);
// "0755", "755", "0o755" -> mode bits. nullopt if malformed.
std::optional<mode_t> parse_mode(std::string_view text);

std::optional<uint64_t> read_size(const YAML::Node& n, Diagnostics& d, std::string_view what);
std::optional<mode_t> read_mode(const YAML::Node& n, Diagnostics& d, std::string_view what);
std::optional<Owner> read_owner(const YAML::Node& n, Diagnostics& d, std::string_view what);
std::optional<std::string> read_sha256(const YAML::Node& n, Diagnostics& d,
                                       std::string_view what);
// An absolute path inside the image without "..".
std::optional<std::string> read_image_path(const YAML::Node& n, Diagnostics& d,
                                           std::string_view what);

struct InputContext {
  std::string spec_dir;
  bool check_files = true;
  // The spec's directory as the user named it ("." for a bare file name),
  // to name files inside an input the way the user can find them.
  std::string display_dir = ".";
};

enum class InputKind { File, Directory, FileOrDirectory };

// A local input: relative paths resolve against the spec's directory and may
// not leave it. With check_files, it must exist and be of `kind`.
std::optional<std::string> read_input_path(const YAML::Node& n, Diagnostics& d,
                                           std::string_view what, const InputContext& ctx,
                                           InputKind kind);
// A local path or an http(s) URL.
std::optional<PinnedSource> read_source(const YAML::Node& src, const YAML::Node& sha256,
                                        Diagnostics& d, std::string_view what,
                                        const InputContext& ctx);

bool is_url(std::string_view s);

}  // namespace kiln::spec
