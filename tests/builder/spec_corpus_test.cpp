// Runs `kiln validate` over the invalid-spec corpus. Each corpus file states
// its exact diagnostics in "# expect: LINE:COL: message" header lines (about
// the spec itself), or "# expect-file: FILE:LINE:COL: message" lines (about
// a file the spec names, such as its seed's), in the order kiln prints them.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

namespace {

// Full diagnostic lines, as printed when the spec is named `name`.
std::vector<std::string> expectations(const std::string& name, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : split(text, '\n')) {
    if (line.starts_with("# expect: ")) out.push_back(name + ":" + line.substr(10));
    if (line.starts_with("# expect-file: ")) out.push_back(line.substr(15));
  }
  return out;
}

std::vector<std::string> yaml_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& name : list_dir(dir)) {
    if (name.ends_with(".yaml")) out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("every invalid spec in the corpus fails with its exact diagnostics and exit 2", "[unit]") {
  const std::string dir = test::fixture("specs/invalid");
  auto files = yaml_files(dir);
  REQUIRE(files.size() >= 25);
  for (const auto& name : files) {
    INFO("corpus entry " << name);
    std::string text = read_file(dir + "/" + name);
    auto want = expectations(name, text);
    REQUIRE_FALSE(want.empty());
    // Run from the corpus directory so the reported file name is the bare name.
    auto r = test::run_cli({"env", "-C", dir, test::bin("kiln"), "validate", name});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    std::vector<std::string> got;
    for (const auto& line : split(r.err, '\n')) {
      if (line.empty() || line.starts_with("kiln validate: ")) continue;
      got.push_back(line);
    }
    CHECK(got == want);
    CHECK(split(r.err, '\n').size() == want.size() + 2);  // diagnostics + summary + trailing ""
  }
}

TEST_CASE("every valid spec in the corpus validates", "[unit]") {
  const std::string dir = test::fixture("specs/valid");
  for (const auto& name : yaml_files(dir)) {
    INFO("corpus entry " << name);
    auto r = test::run_cli({"env", "-C", dir, test::bin("kiln"), "validate", name});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.starts_with(name + ": valid ("));
  }
}

TEST_CASE("the embedded default spec and images/ examples validate", "[unit]") {
  auto r = test::run_cli({test::bin("kiln"), "validate"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "<embedded>/default.yaml: valid (kiln-default 0.1.0)\n");
  for (const auto& name : yaml_files(test::source_dir() + "/images")) {
    INFO("example " << name);
    auto v = test::run_cli({test::bin("kiln"), "validate", test::source_dir() + "/images/" + name});
    CHECK(v.exit_code == 0);
  }
}

TEST_CASE("the embedded default is exactly images/default.yaml", "[unit]") {
  auto r = test::run_cli({test::bin("kiln"), "validate", test::source_dir() + "/images/default.yaml"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("kiln-default 0.1.0") != std::string::npos);
}

TEST_CASE("a missing spec file is one line and exit 2", "[unit]") {
  auto r = test::run_cli({test::bin("kiln"), "validate", "/nonexistent/spec.yaml"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "kiln: error: open '/nonexistent/spec.yaml': No such file or directory\n");
}
