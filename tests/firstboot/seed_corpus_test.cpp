// The malformed-seed corpus (tests/fixtures/seeds/invalid): each entry is a
// NoCloud seed directory with an `expect` file holding its exact
// diagnostics. `validate` must print exactly those and exit 2; `apply` must
// report the same errors, exit 2 and leave the target root untouched.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : split(text, '\n')) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& name : list_dir(dir)) {
    if (is_directory(dir + "/" + name)) out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("every malformed seed fails validate with its exact diagnostics and exit 2", "[unit]") {
  const std::string dir = test::fixture("seeds/invalid");
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  auto names = entries(dir);
  REQUIRE(names.size() >= 40);
  for (const auto& name : names) {
    INFO("corpus entry " << name);
    std::vector<std::string> want;
    for (const auto& e : lines_of(read_file(dir + "/" + name + "/expect")))
      want.push_back(name + "/" + e);
    REQUIRE_FALSE(want.empty());
    auto r = test::run_cli(
        {"env", "-C", dir, test::firstboot_bin(), "validate", "--seed", name, "--root", root});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    auto got = lines_of(r.err);
    REQUIRE_FALSE(got.empty());
    size_t errors = 0;
    for (const auto& w : want) errors += w.find(": warning: ") == std::string::npos ? 1 : 0;
    CHECK(got.back() == "kiln-firstboot validate: " + std::to_string(errors) + " error" +
                            (errors == 1 ? "" : "s") + " in " + name);
    got.pop_back();
    CHECK(got == want);
  }
}

TEST_CASE("applying a malformed seed writes nothing, starts nothing and reports the same errors",
          "[unit]") {
  const std::string dir = test::fixture("seeds/invalid");
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  const auto before = test::snapshot(root);
  for (const auto& name : entries(dir)) {
    INFO("corpus entry " << name);
    std::vector<std::string> want_errors;
    std::vector<std::string> want_warnings;
    for (const auto& e : lines_of(read_file(dir + "/" + name + "/expect"))) {
      auto w = e.find(": warning: ");
      if (w == std::string::npos) {
        want_errors.push_back(name + "/" + e);
      } else {
        want_warnings.push_back(name + "/" + e.substr(0, w) + ": " + e.substr(w + 11));
      }
    }
    const std::string status = tmp.path() + "/status-" + name + ".json";
    auto r = test::run_cli({"env", "-C", dir, test::firstboot_bin(), "apply", "--seed", name,
                            "--root", root, "--no-start", "--status", status});
    CHECK(r.exit_code == 2);
    // Proof that nothing was written: the root is byte-for-byte the same.
    CHECK(test::snapshot(root) == before);
    auto j = nlohmann::json::parse(read_file(status));
    CHECK(j["result"] == "invalid");
    CHECK(j["exit_code"] == 2);
    CHECK(j["steps"].empty());
    if (j.contains("role")) CHECK(j["role"]["started"] == false);
    CHECK(j["errors"].get<std::vector<std::string>>() == want_errors);
    CHECK(j["warnings"].get<std::vector<std::string>>() == want_warnings);
    // stderr: the errors, one per line, then the summary on stdout.
    std::vector<std::string> err_lines;
    for (const auto& l : lines_of(r.err)) {
      if (!l.starts_with("warning: ")) err_lines.push_back(l);
    }
    CHECK(err_lines == want_errors);
    CHECK(test::first_line(r.out).find(": invalid (") != std::string::npos);
  }
}

TEST_CASE("every valid seed in the corpus validates against the fixture image", "[unit]") {
  const std::string dir = test::fixture("seeds/valid");
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  auto names = entries(dir);
  REQUIRE(names.size() >= 5);
  for (const auto& name : names) {
    INFO("valid seed " << name);
    auto r = test::run_cli(
        {"env", "-C", dir, test::firstboot_bin(), "validate", "--seed", name, "--root", root});
    CHECK(r.exit_code == 0);
    for (const auto& line : lines_of(r.err)) CHECK(line.find(": warning: ") != std::string::npos);
    CHECK(r.out.starts_with(name + ": valid (instance "));
  }
}
