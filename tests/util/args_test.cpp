#include <catch2/catch.hpp>

#include "util/args.hpp"
#include "util/error.hpp"

using namespace kiln;

namespace {
ArgParser parser() {
  ArgParser p("kiln build", "SPEC", "Build an image.");
  p.positional("SPEC", "the spec", 1, 1);
  p.flag("locked", 0, "Fail if inputs differ from kiln.lock");
  p.option("output", 'o', "DIR", "Output directory");
  p.option("memory", 0, "MIB", "Guest memory");
  return p;
}
}  // namespace

TEST_CASE("options, flags and positionals parse in any order", "[unit]") {
  ParsedArgs a = parser().parse({"--locked", "spec.yaml", "-o", "out", "--memory=2048"});
  CHECK(a.has("locked"));
  CHECK(a.get("output") == "out");
  CHECK(a.get_int("memory", 128, 65536) == 2048);
  CHECK(a.positionals() == std::vector<std::string>{"spec.yaml"});
}

TEST_CASE("misuse is one line with a hint and exit code 2", "[unit]") {
  auto expect = [](std::vector<std::string> args, const std::string& msg) {
    try {
      (void)parser().parse(args);
      FAIL("no throw for " + msg);
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == msg);
      CHECK(e.exit_code() == kExitUsage);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  };
  expect({"s", "--lockd"},
         "kiln build: unknown option '--lockd'; did you mean '--locked'? (see 'kiln build --help')");
  expect({"s", "-x"}, "kiln build: unknown option '-x' (see 'kiln build --help')");
  expect({"s", "--output"}, "kiln build: option '--output' needs a value (DIR) (see 'kiln build --help')");
  expect({}, "kiln build: missing argument SPEC (see 'kiln build --help')");
  expect({"a", "b"}, "kiln build: unexpected argument 'b' (see 'kiln build --help')");
  expect({"s", "--locked=yes"}, "kiln build: option '--locked' takes no value (see 'kiln build --help')");
  expect({"s", "-o", "a", "-o", "b"}, "kiln build: option '-o' given twice (see 'kiln build --help')");
}

TEST_CASE("integer options are range-checked", "[unit]") {
  ParsedArgs a = parser().parse({"s", "--memory", "lots"});
  CHECK_THROWS_WITH(a.get_int("memory", 128, 65536),
                    "kiln build: option '--memory' expects an integer from 128 to 65536, got "
                    "'lots' (see 'kiln build --help')");
}

TEST_CASE("a help request is reported, not treated as an error", "[unit]") {
  ParsedArgs a = parser().parse({"--help"});
  CHECK(a.help_requested());
  std::string h = parser().help();
  CHECK(h.starts_with("Usage: kiln build SPEC\n"));
  CHECK(h.find("--locked") != std::string::npos);
  CHECK(h.find("-o, --output DIR") != std::string::npos);
}
