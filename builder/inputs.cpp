#include "builder/inputs.hpp"

#include <cerrno>
#include <cstdlib>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/http_download.hpp"
#include "util/sha256.hpp"

namespace kiln {

std::string default_cache_dir() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (std::string d = env("KILN_CACHE_DIR"); !d.empty()) return absolute_path(d);
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty()) return absolute_path(d) + "/kiln";
  if (std::string d = env("HOME"); !d.empty()) return absolute_path(d) + "/.cache/kiln";
  throw Error("choose a cache directory: set --cache-dir, $KILN_CACHE_DIR or $HOME", kExitInvalid);
}

std::string download_cache_path(const std::string& cache_dir, const std::string& sha256) {
  return cache_dir + "/downloads/sha256/" + sha256;
}

void verify_sha256(const std::string& path, const std::string& expected, const std::string& what) {
  std::string actual;
  try {
    actual = sha256_file(path);
  } catch (Error& e) {
    if (e.err() == ENOENT) e.set_exit_code(kExitMissingInput);
    e.add_context("while checking " + what);
    throw;
  }
  if (actual != expected) {
    throw Error(
        "sha256 mismatch for " + what + " '" + path + "': expected " + expected + ", got " + actual,
        kExitVerification);
  }
}

namespace {

std::string fetch_url(const BuildContext& ctx, const spec::PinnedSource& source,
                      const std::string& what, StepTimer* timer) {
  std::string cached = download_cache_path(ctx.options.cache_dir, source.sha256);
  if (path_exists(cached)) {
    // A cached file is trusted only after it hashes right again.
    if (sha256_file(cached) == source.sha256) {
      log_debug(what + ": using cached " + cached);
      return cached;
    }
    log_warning(what + ": cached copy " + cached + " is corrupt; fetching it again");
    remove_tree(cached);
  }
  if (ctx.options.offline) {
    throw Error(what + ": '" + source.location +
                    "' is not in the download cache and --offline forbids downloading it",
                kExitMissingInput);
  }
  mkdir_p(dirname_of(cached));
  DownloadOptions o;
  o.expected_sha256 = source.sha256;
  if (timer != nullptr) {
    o.on_progress = [timer](uint64_t done, uint64_t total) { timer->progress(done, total); };
  }
  try {
    http_download(source.location, cached, o);
  } catch (Error& e) {
    if (e.err() == ENOENT) e.set_exit_code(kExitMissingInput);
    if (e.err() == EBADMSG) e.set_exit_code(kExitVerification);
    e.add_context("while fetching " + what);
    throw;
  }
  return cached;
}

}  // namespace

std::string fetch_pinned(const BuildContext& ctx, const spec::PinnedSource& source,
                         const std::string& what, StepTimer* timer) {
  if (source.is_url) return fetch_url(ctx, source, what, timer);
  verify_sha256(source.location, source.sha256, what);
  return source.location;
}

}  // namespace kiln
