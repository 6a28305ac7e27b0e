#include "airgap/checksums.hpp"

#include <catch2/catch.hpp>

#include "util/error.hpp"

using namespace kiln;
using namespace kiln::airgap;

TEST_CASE("sha256sum files parse in text and binary mode", "[unit]") {
  std::string a(64, 'a');
  std::string b(64, 'b');
  auto e = parse_checksums(
      a + "  rke2.linux-amd64.tar.gz\n" + b + " *rke2-images-core.linux-amd64.tar.zst\n\n",
      "sha256sum-amd64.txt");
  REQUIRE(e.size() == 2);
  CHECK(e[0].name == "rke2.linux-amd64.tar.gz");
  CHECK(e[0].sha256 == a);
  CHECK(e[1].name == "rke2-images-core.linux-amd64.tar.zst");
  CHECK(e[1].line == 2);
}

TEST_CASE("a malformed sha256sum line is an error naming file and line", "[unit]") {
  std::string a(64, 'a');
  CHECK_THROWS_WITH(
      parse_checksums(a + "  ok.tar\nnot-a-hash  x.tar\n", "sha256sum-amd64.txt"),
      "sha256sum-amd64.txt:2: malformed checksum 'not-a-hash' (expected 64 hex digits)");
  CHECK_THROWS_WITH(parse_checksums("justoneword\n", "s.txt"),
                    "s.txt:1: malformed checksum line (expected 'SHA256  NAME')");
  CHECK_THROWS_WITH(parse_checksums(a + "  ../evil\n", "s.txt"),
                    "s.txt:1: file name '../evil' must not contain a directory");
  CHECK_THROWS_WITH(parse_checksums(a + "  x\n" + a + "  x\n", "s.txt"),
                    "s.txt:2: 'x' is listed twice");
}
