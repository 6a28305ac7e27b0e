// Getting a build's pinned inputs: local files are checked against their
// sha256; URLs come from the download cache (keyed by sha256), downloaded
// into it when missing unless the build is --offline. Every failure names
// the input and carries kiln's exit code: 3 for a sha256 mismatch, 4 for a
// missing input (absent file, HTTP 404, not cached while offline).
#pragma once

#include <string>

#include "builder/build_context.hpp"
#include "util/log.hpp"

namespace kiln {

// $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln (root
// included: a build's cache belongs to whoever runs it).
std::string default_cache_dir();

// Where a download with this sha256 lives in the cache.
std::string download_cache_path(const std::string& cache_dir, const std::string& sha256);

// Throws "sha256 mismatch for WHAT 'path': expected X, got Y" (exit 3).
void verify_sha256(const std::string& path, const std::string& expected, const std::string& what);

// The verified local path of a pinned input. `what` names it in messages
// ("base tarball", "binary 'crictl'"); `timer`, when given, shows download
// progress.
std::string fetch_pinned(const BuildContext& ctx, const spec::PinnedSource& source,
                         const std::string& what, StepTimer* timer = nullptr);

}  // namespace kiln
