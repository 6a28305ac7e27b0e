// Content digests as OCI writes them: "sha256:<64 lowercase hex>". Only
// sha256 is accepted; it is what registries, containerd and RKE2 use.
#pragma once

#include <string>
#include <string_view>

namespace kiln::airgap {

bool is_digest(std::string_view s);
// The hex part of a valid digest; throws (exit 2) naming `what` otherwise.
std::string digest_hex(std::string_view digest, std::string_view what);
std::string digest_from_hex(std::string_view hex);
// "sha256:0123456789ab" for messages that need to stay on one line.
std::string short_digest(std::string_view digest);

}  // namespace kiln::airgap
