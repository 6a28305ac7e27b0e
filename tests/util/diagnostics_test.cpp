#include "util/diagnostics.hpp"

#include <catch2/catch.hpp>

#include "util/error.hpp"

using namespace kiln;

TEST_CASE("diagnostics: this file's errors by position, then other files' as added", "[unit]") {
  Diagnostics d("spec.yaml");
  d.error(9, 3, "late");
  d.add({"seed/user-data", 2, 1, "seed problem", false});
  d.add({"seed/README", 0, 0, "unexpected file", false});
  d.error(4, 7, "early");
  d.add({"seed/user-data", 5, 1, "a warning", true});
  std::vector<std::string> got;
  for (const auto& e : d.errors()) got.push_back(e.str());
  CHECK(got == std::vector<std::string>{"spec.yaml:4:7: early", "spec.yaml:9:3: late",
                                        "seed/user-data:2:1: seed problem",
                                        "seed/README: unexpected file"});
  REQUIRE(d.warnings().size() == 1);
  CHECK(d.warnings()[0].str() == "seed/user-data:5:1: warning: a warning");
  CHECK(d.has_errors());
  try {
    d.throw_if_errors(2);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "spec.yaml:4:7: early");
    CHECK(e.exit_code() == 2);
  }
}
