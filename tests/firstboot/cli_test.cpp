#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace kiln;

TEST_CASE("kiln-firstboot --help, --version and usage errors", "[unit]") {
  auto h = test::run_cli({test::bin("kiln-firstboot"), "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.starts_with("Usage: kiln-firstboot "));
  auto v = test::run_cli({test::bin("kiln-firstboot"), "--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.starts_with("kiln-firstboot "));
  auto u = test::run_cli({test::bin("kiln-firstboot"), "frobnicate"});
  CHECK(u.exit_code == 2);
  CHECK(u.out.empty());
  CHECK(u.err.starts_with("kiln-firstboot: unknown command 'frobnicate'"));
  CHECK(u.err.find('\n') == u.err.size() - 1);
  auto f = test::run_cli({test::bin("kiln-firstboot"), "--bogus"});
  CHECK(f.exit_code == 2);
  CHECK(f.err == "kiln-firstboot: unknown option '--bogus' (see 'kiln-firstboot --help')\n");
}
