#include "firstboot/codec.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>

using namespace kiln::firstboot;

namespace {
std::string gzip_of(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

TEST_CASE("base64 decodes with padding and line breaks, and rejects bad input with a reason",
          "[unit]") {
  CHECK(*base64_decode("aGVsbG8=").data == "hello");
  CHECK(*base64_decode("aGVs\nbG8h").data == "hello!");
  CHECK(*base64_decode("aA==").data == "h");
  CHECK(*base64_decode("").data == "");
  CHECK(base64_decode("aGVsbG8*").error == "invalid base64 character at offset 7");
  CHECK(base64_decode("aGVsbG8").error == "base64 length is not a multiple of 4 (7 symbols)");
  CHECK(base64_decode("a===").error == "misplaced '=' padding at offset 1");
  CHECK(base64_decode("aA==aGk=").error == "data after '=' padding at offset 4");
}

TEST_CASE("gunzip inflates concatenated members, and bounds output and reports corruption",
          "[unit]") {
  std::string a = gzip_of("first ");
  std::string b = gzip_of("second");
  CHECK(looks_gzipped(a));
  CHECK_FALSE(looks_gzipped("#cloud-config"));
  CHECK(*gunzip(a + b, 1024).data == "first second");

  std::string big = gzip_of(std::string(100000, 'x'));
  auto limited = gunzip(big, 99999);
  CHECK_FALSE(limited.data);
  CHECK(limited.too_large);
  CHECK(limited.error == "decompresses to more than 97.7 KiB (the limit)");
  CHECK(*gunzip(big, 100000).data == std::string(100000, 'x'));

  auto truncated = gunzip(a.substr(0, a.size() - 6), 1024);
  CHECK(truncated.error == "truncated data");
  std::string corrupt = a;
  corrupt[3] = '\x7f';  // reserved flag bits set
  CHECK(gunzip(corrupt, 1024).error.starts_with("corrupt data ("));
}
