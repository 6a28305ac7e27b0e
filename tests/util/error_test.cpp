#include <catch2/catch.hpp>
#include <cerrno>

#include "util/error.hpp"

using kiln::Error;

TEST_CASE("errors read 'verb 'path': reason' and gain context on the way up", "[unit]") {
  Error e = Error::from_errno("open", "/nope/file", ENOENT);
  CHECK(std::string(e.what()) == "open '/nope/file': No such file or directory");
  CHECK(e.err() == ENOENT);
  CHECK(e.exit_code() == 1);

  try {
    kiln::with_context("while applying overlay 'cis'", [] {
      kiln::with_context("while copying 'etc/x'", [] { kiln::throw_errno("open", "/a", EACCES); });
    });
    FAIL("no throw");
  } catch (const Error& caught) {
    CHECK(std::string(caught.what()) ==
          "open '/a': Permission denied, while copying 'etc/x', while applying overlay 'cis'");
    CHECK(caught.context().size() == 2);
    CHECK(caught.err() == EACCES);
  }
}

TEST_CASE("errors carry an exit code and detail", "[unit]") {
  Error e("bad input", 3);
  e.set_detail("line one\nline two");
  CHECK(e.exit_code() == 3);
  CHECK(e.detail() == "line one\nline two");
  e.set_exit_code(4);
  CHECK(e.exit_code() == 4);
  CHECK(std::string(e.what()) == "bad input");
}
