#include "builder/lock_file.hpp"

#include <catch2/catch.hpp>

#include "builder/dpkg_status.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

std::pair<std::string, int> check_error(const LockEntries& resolved,
                                        const std::map<std::string, std::string>& packages,
                                        const ImageLock& lock, bool complete) {
  try {
    check_against_lock(resolved, packages, lock, "/s/kiln.lock", complete);
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"(no error)", 0};
}

}  // namespace

TEST_CASE("kiln.lock round-trips with sorted keys and one entry per image", "[unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/kiln.lock";
  CHECK_FALSE(read_lock_file(path));
  LockFile lock;
  lock.images["b-image"].inputs = {{"overlay:cis", "11"}, {"base", "22"}};
  lock.images["b-image"].base_packages = {{"libc6", "2.36"}, {"adduser", "3.134"}};
  lock.images["a-image"].inputs = {{"binary:crictl", "33"}};
  write_lock_file(path, lock);
  const std::string text = read_file(path);
  CHECK(text ==
        "{\n"
        "  \"images\": {\n"
        "    \"a-image\": {\n"
        "      \"inputs\": {\n"
        "        \"binary:crictl\": \"33\"\n"
        "      }\n"
        "    },\n"
        "    \"b-image\": {\n"
        "      \"base-packages\": [\n"
        "        \"adduser=3.134\",\n"
        "        \"libc6=2.36\"\n"
        "      ],\n"
        "      \"inputs\": {\n"
        "        \"base\": \"22\",\n"
        "        \"overlay:cis\": \"11\"\n"
        "      }\n"
        "    }\n"
        "  },\n"
        "  \"kiln-lock\": 1\n"
        "}\n");
  auto back = read_lock_file(path);
  REQUIRE(back);
  CHECK(back->images.at("b-image").inputs == lock.images.at("b-image").inputs);
  CHECK(back->images.at("b-image").base_packages == lock.images.at("b-image").base_packages);
  CHECK(render_lock_file(*back) == text);
}

TEST_CASE("a malformed kiln.lock is an error naming it", "[unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/kiln.lock";
  test::write_text(path, "{\"kiln-lock\": 1, \"images\": {\"x\": {\"inputs\": {\"base\": 5}}}}");
  try {
    read_lock_file(path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "read lock file '" + path +
                                       "': input 'base' of image 'x' is not a string (fix it or "
                                       "delete it to re-resolve)");
    CHECK(e.exit_code() == 2);
  }
  test::write_text(path, "{not json");
  CHECK_THROWS_WITH(read_lock_file(path),
                    Catch::Matchers::StartsWith("read lock file '" + path + "': invalid JSON: "));
}

TEST_CASE("lock comparisons for --locked name the input that differs or is missing", "[unit]") {
  ImageLock lock;
  lock.inputs = {{"base", "aaa"}, {"overlay:cis", "bbb"}};
  CHECK(check_error({{"base", "aaa"}}, {}, lock, false).second == 0);
  auto [msg, code] = check_error({{"base", "aaa"}, {"overlay:cis", "ccc"}}, {}, lock, false);
  CHECK(msg ==
        "input 'overlay:cis' differs from the lock file '/s/kiln.lock': locked bbb, now ccc");
  CHECK(code == 3);
  std::tie(msg, code) = check_error({{"binary:x", "1"}}, {}, lock, false);
  CHECK(msg == "input 'binary:x' is not in the lock file '/s/kiln.lock'");
  std::tie(msg, code) = check_error({{"base", "aaa"}}, {}, lock, true);
  CHECK(msg ==
        "the lock file '/s/kiln.lock' lists input 'overlay:cis', which this build no longer has");
  CHECK(code == 3);
}

TEST_CASE("a Debian base that moved names the first package that changed", "[unit]") {
  ImageLock lock;
  lock.base_packages = {{"adduser", "3.134"}, {"libc6", "2.36-9+deb12u3"}};
  lock.inputs = {{"base", package_list_sha256(lock.base_packages)}};
  std::map<std::string, std::string> now = {{"adduser", "3.134"}, {"libc6", "2.36-9+deb12u4"}};
  auto [msg, code] = check_error({{"base", package_list_sha256(now)}}, now, lock, false);
  CHECK(msg ==
        "input 'base' differs from the lock file '/s/kiln.lock': package 'libc6' is "
        "2.36-9+deb12u4, locked 2.36-9+deb12u3");
  CHECK(code == 3);
  now = {{"adduser", "3.134"}};
  std::tie(msg, code) = check_error({{"base", package_list_sha256(now)}}, now, lock, false);
  CHECK(msg ==
        "input 'base' differs from the lock file '/s/kiln.lock': locked package 'libc6' "
        "2.36-9+deb12u3 is gone");
}

TEST_CASE("dpkg status parsing keeps installed packages only", "[unit]") {
  auto p = parse_dpkg_status(
      "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n"
      "Description: GNU C Library\n multi-line\n\n"
      "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-8\n\n"
      "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n");
  CHECK(p == std::map<std::string, std::string>{
                 {"libc6", "2.36-9"}, {"libc6:i386", "2.36-8"}, {"zlib1g", "1:1.2.13"}});
  CHECK(package_list_sha256({{"a", "1"}}) == package_list_sha256({{"a", "1"}}));
  CHECK(package_list_sha256({{"a", "1"}}) != package_list_sha256({{"a", "2"}}));
}
