#include "tests/support/test_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/subprocess.hpp"
#include "util/mount_namespace.hpp"

#ifndef KILN_TEST_BIN_DIR
#error "KILN_TEST_BIN_DIR must be defined"
#endif
#ifndef KILN_TEST_SOURCE_DIR
#error "KILN_TEST_SOURCE_DIR must be defined"
#endif

namespace kiln::test {

std::string bin_dir() {
  if (const char* env = std::getenv("KILN_TEST_BIN_DIR"); env != nullptr && *env != '\0') return env;
  return KILN_TEST_BIN_DIR;
}
std::string bin(const std::string& name) { return bin_dir() + "/" + name; }
std::string source_dir() { return KILN_TEST_SOURCE_DIR; }
std::string fixture(const std::string& rel) { return source_dir() + "/tests/fixtures/" + rel; }

CliResult run_cli(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  int timeout_seconds) {
  RunOptions o;
  o.check = false;
  o.env = env;
  o.timeout = std::chrono::seconds(timeout_seconds);
  RunResult r = run(argv, o);
  CliResult out;
  out.exit_code = r.signaled() ? 128 + r.signal : r.exit_status;
  out.out = std::move(r.out);
  out.err = std::move(r.err);
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void write_text(const std::string& path, const std::string& text, unsigned mode) {
  mkdir_p(dirname_of(path));
  write_file_atomic(path, text, mode);
}

std::vector<std::string> list_tree(const std::string& dir) {
  std::vector<std::string> out;
  std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& abs,
                                                                          const std::string& rel) {
    for (const auto& name : list_dir(abs)) {
      std::string a = abs + "/" + name;
      std::string r = rel.empty() ? name : rel + "/" + name;
      auto st = lstat_path(a);
      if (st && S_ISDIR(st->st_mode)) {
        walk(a, r);
      } else {
        out.push_back(r);
      }
    }
  };
  if (is_directory(dir)) walk(dir, "");
  return out;
}

// Defined by tests/fixtures/rke2-standin/CMakeLists.txt on this library.
#if defined(KILN_STANDIN_ARTIFACTS_DIR) && defined(KILN_STANDIN_RKE2_BINARY) && \
    defined(KILN_STANDIN_WORKLOAD_ARCHIVE) && defined(KILN_STANDIN_WORKLOAD_IMAGE)
std::string standin_artifacts_dir() { return KILN_STANDIN_ARTIFACTS_DIR; }
std::string standin_rke2_binary() { return KILN_STANDIN_RKE2_BINARY; }
std::string standin_workload_archive() { return KILN_STANDIN_WORKLOAD_ARCHIVE; }
std::string standin_workload_image() { return KILN_STANDIN_WORKLOAD_IMAGE; }
#else
#error "the stand-in RKE2 paths must be defined (tests/fixtures/rke2-standin/CMakeLists.txt)"
#endif

bool is_root() { return ::geteuid() == 0; }

void skip(const std::string& why) { std::printf("%s %s\n", kSkipMarker, why.c_str()); }

bool enter_root_test_namespace() {
  if (!is_root()) {
    skip("needs root");
    return false;
  }
  enter_private_mount_namespace();
  return true;
}

}  // namespace kiln::test
