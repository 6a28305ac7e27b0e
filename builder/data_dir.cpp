#include "builder/data_dir.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "builder/embedded_default.hpp"
#include "util/fs.hpp"

#ifndef KILN_SOURCE_DIR
#error "KILN_SOURCE_DIR must be defined by the build"
#endif

namespace kiln {

std::string kiln_data_dir() {
  if (const char* env = std::getenv("KILN_DATA_DIR"); env != nullptr && *env != '\0') return env;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string installed = dirname_of(dirname_of(std::string(buf, static_cast<size_t>(n)))) + "/share/kiln";
    if (is_directory(installed + "/overlays")) return installed;
  }
  return KILN_SOURCE_DIR;
}

std::string builtin_overlays_dir() { return kiln_data_dir() + "/overlays"; }

const std::string& embedded_default_spec() {
  static const std::string spec(kEmbeddedDefaultSpec);
  return spec;
}

}  // namespace kiln
