// Exit codes the airgap library gives its errors. They mirror the builder's
// (builder/build_context.hpp), which this library must not include.
#pragma once

namespace kiln::airgap {

constexpr int kExitRuntime = 1;       // a registry or I/O failure
constexpr int kExitInvalid = 2;       // unusable input: unsupported format or media type
constexpr int kExitVerification = 3;  // digest or sha256 mismatch, corrupt or truncated input
constexpr int kExitMissingInput = 4;  // a file, blob or image that does not exist

}  // namespace kiln::airgap
