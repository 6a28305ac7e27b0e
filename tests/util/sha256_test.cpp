#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/evp_ptr.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;

TEST_CASE("sha256 matches the standard test vectors", "[unit]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("streaming sha256 of a file equals the one-shot digest", "[unit]") {
  TempDir dir;
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>('a' + i % 26);
  test::write_text(dir.path() + "/blob", data);
  CHECK(sha256_file(dir.path() + "/blob") == sha256_hex(data));

  Sha256 h;
  h.update(std::string_view(data).substr(0, 1000));
  h.update(std::string_view(data).substr(1000));
  CHECK(h.hex_digest() == sha256_hex(data));
  // The object resets after a digest.
  h.update("abc");
  CHECK(h.hex_digest() == sha256_hex("abc"));
}

TEST_CASE("sha256 of a missing file names it", "[unit]") {
  CHECK_THROWS_WITH(sha256_file("/nonexistent/kiln"),
                    "open '/nonexistent/kiln': No such file or directory");
}

TEST_CASE("EVP_MD_CTX wrapper frees the context", "[unit]") {
  const LibcryptoDigest& c = libcrypto_digest();
  EvpMdCtxPtr ctx(c.ctx_new());
  REQUIRE(ctx);
  REQUIRE(c.init(ctx.get(), c.sha256(), nullptr) == 1);
}

TEST_CASE("is_sha256_hex accepts exactly 64 lowercase hex digits", "[unit]") {
  CHECK(is_sha256_hex(std::string(64, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(64, 'A')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a') + "g"));
}
