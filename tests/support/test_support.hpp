// Helpers shared by every test executable.
#pragma once

#include <string>
#include <vector>

#include "util/fs.hpp"

namespace kiln::test {

// Directory holding the programs under test (kiln, kiln-firstboot).
std::string bin_dir();
std::string bin(const std::string& name);
// The source tree (for fixtures and data).
std::string source_dir();
std::string fixture(const std::string& rel);

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs a program (never through a shell) and captures everything.
CliResult run_cli(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                  int timeout_seconds = 120);
// First line of a text, without the newline.
std::string first_line(const std::string& text);

void write_text(const std::string& path, const std::string& text, unsigned mode = 0644);
// Every regular file under `dir`, relative paths, sorted.
std::vector<std::string> list_tree(const std::string& dir);

bool is_root();
// For [root] tests: enters a private mount namespace and returns true, or
// prints the skip marker and returns false when not root.
bool enter_root_test_namespace();

// Printed by a test that skips itself; ctest reports such tests as skipped.
constexpr const char* kSkipMarker = "[kiln-skip]";
void skip(const std::string& why);

}  // namespace kiln::test
