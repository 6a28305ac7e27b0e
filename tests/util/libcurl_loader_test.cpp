// libcurl loaded on first use: every argument type curl_easy_setopt can
// take, and every answer type of curl_easy_getinfo, must reach libcurl
// through the forwarding definitions unchanged.
#include "util/libcurl_loader.hpp"

#include <catch2/catch.hpp>

#include "tests/support/http_server.hpp"
#include "util/curl_ptr.hpp"

using namespace kiln;

namespace {

size_t append_body(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

}  // namespace

TEST_CASE("libcurl is loaded on first use and every option type reaches it", "[unit]") {
  CHECK(libcurl_unavailable() == std::nullopt);
  REQUIRE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
  test::HttpServer server([](const test::HttpRequest& req) {
    test::HttpResponse r;
    r.body = req.target == "/big" ? std::string(4096, 'x') : "small";
    return r;
  });
  CurlPtr curl(curl_easy_init());
  REQUIRE(curl);
  std::string body;
  // A string (object pointer), a long, a function pointer, a data pointer.
  CHECK(curl_easy_setopt(curl.get(), CURLOPT_URL, server.url("/small").c_str()) == CURLE_OK);
  CHECK(curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L) == CURLE_OK);
  CHECK(curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body) == CURLE_OK);
  CHECK(curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body) == CURLE_OK);
  // A curl_off_t: a limit below the big body's size makes the transfer fail.
  CHECK(curl_easy_setopt(curl.get(), CURLOPT_MAXFILESIZE_LARGE, curl_off_t{1024}) == CURLE_OK);
  REQUIRE(curl_easy_perform(curl.get()) == CURLE_OK);
  CHECK(body == "small");
  long status = 0;
  CHECK(curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status) == CURLE_OK);
  CHECK(status == 200);
  char* effective = nullptr;
  CHECK(curl_easy_getinfo(curl.get(), CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK);
  CHECK(std::string(effective) == server.url("/small"));
  curl_off_t size = 0;
  CHECK(curl_easy_getinfo(curl.get(), CURLINFO_SIZE_DOWNLOAD_T, &size) == CURLE_OK);
  CHECK(size == 5);

  body.clear();
  curl_easy_setopt(curl.get(), CURLOPT_URL, server.url("/big").c_str());
  CHECK(curl_easy_perform(curl.get()) == CURLE_FILESIZE_EXCEEDED);
  CHECK(std::string(curl_easy_strerror(CURLE_FILESIZE_EXCEEDED)) == "Maximum file size exceeded");

  char* escaped = curl_easy_escape(curl.get(), "a b/c", 5);
  REQUIRE(escaped != nullptr);
  CHECK(std::string(escaped) == "a%20b%2Fc");
  curl_free(escaped);
}
