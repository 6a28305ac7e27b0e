#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/strings.hpp"

using namespace kiln;

TEST_CASE("kiln --help and --version", "[unit]") {
  auto h = test::run_cli({test::bin("kiln"), "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.starts_with("Usage: kiln "));
  CHECK(h.out.find("validate") != std::string::npos);
  auto v = test::run_cli({test::bin("kiln"), "--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.starts_with("kiln "));
}

TEST_CASE("every kiln command has --help", "[unit]") {
  auto h = test::run_cli({test::bin("kiln"), "--help"});
  bool in_commands = false;
  int seen = 0;
  for (const auto& line : split(h.out, '\n')) {
    if (line == "Commands:") {
      in_commands = true;
      continue;
    }
    if (in_commands && line.empty()) break;
    if (!in_commands) continue;
    std::string cmd = std::string(trim(line)).substr(0, std::string(trim(line)).find(' '));
    INFO("command " << cmd);
    auto c = test::run_cli({test::bin("kiln"), cmd, "--help"});
    CHECK(c.exit_code == 0);
    CHECK(c.out.starts_with("Usage: kiln " + cmd));
    ++seen;
  }
  CHECK(seen >= 1);
}

TEST_CASE("unknown commands and flags are one line with a hint, exit 2, no help dump", "[unit]") {
  auto c = test::run_cli({test::bin("kiln"), "valdate"});
  CHECK(c.exit_code == 2);
  CHECK(c.out.empty());
  CHECK(c.err == "kiln: unknown command 'valdate'; did you mean 'validate'? (see 'kiln --help')\n");

  auto f = test::run_cli({test::bin("kiln"), "validate", "--strict"});
  CHECK(f.exit_code == 2);
  CHECK(f.err == "kiln validate: unknown option '--strict' (see 'kiln validate --help')\n");

  auto g = test::run_cli({test::bin("kiln"), "--colour"});
  CHECK(g.exit_code == 2);
  CHECK(g.err == "kiln: unknown option '--colour' (see 'kiln --help')\n");

  auto n = test::run_cli({test::bin("kiln")});
  CHECK(n.exit_code == 2);
  CHECK(n.err == "kiln: no command given (see 'kiln --help')\n");
}
