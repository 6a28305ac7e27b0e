#include "util/http_download.hpp"

#include <cerrno>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/http_server.hpp"
#include "tests/support/test_support.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;

namespace {

std::string body_of(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + (i * 7) % 26);
  return s;
}

DownloadOptions fast_options() {
  DownloadOptions o;
  o.initial_backoff = std::chrono::milliseconds(10);
  o.connect_timeout = std::chrono::seconds(5);
  o.total_timeout = std::chrono::seconds(20);
  return o;
}

// Everything the download left in `dir`: only the destination, if anything.
std::vector<std::string> leftovers(const std::string& dir) {
  return list_dir(dir);
}

}  // namespace

TEST_CASE("http_download: 200 writes the body and returns its sha256", "[unit]") {
  const std::string body = body_of(100000);
  test::HttpServer server([&](const test::HttpRequest&) {
    return test::HttpResponse{200, {}, body};
  });
  TempDir dir;
  auto o = fast_options();
  o.expected_sha256 = sha256_hex(body);
  uint64_t last_done = 0;
  o.on_progress = [&](uint64_t done, uint64_t) { last_done = done; };
  DownloadResult r = http_download(server.url("/file"), dir.path() + "/file", o);
  CHECK(r.sha256 == sha256_hex(body));
  CHECK(r.bytes == body.size());
  CHECK(r.attempts == 1);
  CHECK(read_file(dir.path() + "/file") == body);
  CHECK(leftovers(dir.path()) == std::vector<std::string>{"file"});
  CHECK(last_done == body.size());
}

TEST_CASE("http_download: 404 fails at once, names the URL, leaves nothing", "[unit]") {
  test::HttpServer server([](const test::HttpRequest&) {
    return test::HttpResponse{404, {}, "no"};
  });
  TempDir dir;
  const std::string url = server.url("/missing");
  try {
    http_download(url, dir.path() + "/file", fast_options());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "download '" + url + "': server answered HTTP 404");
    CHECK(e.err() == ENOENT);
  }
  CHECK(server.requests().size() == 1);
  CHECK(leftovers(dir.path()).empty());
}

TEST_CASE("http_download: a 500 is retried and the next 200 wins", "[unit]") {
  const std::string body = body_of(5000);
  int calls = 0;
  test::HttpServer server([&](const test::HttpRequest&) {
    return ++calls == 1 ? test::HttpResponse{500, {}, "oops"} : test::HttpResponse{200, {}, body};
  });
  TempDir dir;
  DownloadResult r = http_download(server.url("/f"), dir.path() + "/f", fast_options());
  CHECK(r.attempts == 2);
  CHECK(read_file(dir.path() + "/f") == body);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("http_download: a 500 on every attempt gives up after max_attempts", "[unit]") {
  test::HttpServer server([](const test::HttpRequest&) {
    return test::HttpResponse{500, {}, "x"};
  });
  TempDir dir;
  auto o = fast_options();
  o.max_attempts = 3;
  const std::string url = server.url("/f");
  try {
    http_download(url, dir.path() + "/f", o);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "download '" + url + "': server answered HTTP 500 (after 3 attempts)");
    CHECK(e.err() == EIO);
  }
  CHECK(server.requests().size() == 3);
  CHECK(leftovers(dir.path()).empty());
}

TEST_CASE("http_download: a truncated body resumes with a Range request", "[unit]") {
  const std::string body = body_of(300000);
  test::HttpServer server([&](const test::HttpRequest& req) {
    std::string range = req.header("range");
    if (range.empty()) {
      test::HttpResponse r{200, {}, body};
      r.cut_after = 1000;
      return r;
    }
    size_t from = std::stoull(range.substr(6));
    test::HttpResponse r{206, {}, body.substr(from)};
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(from) + "-" +
                                                std::to_string(body.size() - 1) + "/" +
                                                std::to_string(body.size()));
    return r;
  });
  TempDir dir;
  auto o = fast_options();
  o.expected_sha256 = sha256_hex(body);
  DownloadResult r = http_download(server.url("/big"), dir.path() + "/big", o);
  CHECK(r.attempts == 2);
  CHECK(read_file(dir.path() + "/big") == body);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("range").empty());
  CHECK(reqs[1].header("range") == "bytes=1000-");
}

TEST_CASE("http_download: a server that ignores Range restarts the file cleanly", "[unit]") {
  const std::string body = body_of(50000);
  int calls = 0;
  test::HttpServer server([&](const test::HttpRequest&) {
    test::HttpResponse r{200, {}, body};
    if (++calls == 1) r.cut_after = 777;
    return r;
  });
  TempDir dir;
  auto o = fast_options();
  o.expected_sha256 = sha256_hex(body);
  http_download(server.url("/f"), dir.path() + "/f", o);
  CHECK(read_file(dir.path() + "/f") == body);
}

TEST_CASE("http_download: a stalled server times out, is retried, then fails", "[unit]") {
  test::HttpServer server([](const test::HttpRequest&) {
    test::HttpResponse r{200, {}, "late"};
    r.delay_ms = 3000;
    return r;
  });
  TempDir dir;
  auto o = fast_options();
  o.total_timeout = std::chrono::milliseconds(300);
  o.max_attempts = 2;
  const std::string url = server.url("/slow");
  try {
    http_download(url, dir.path() + "/f", o);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "download '" + url + "': timed out (after 2 attempts)");
    CHECK(e.err() == ETIMEDOUT);
  }
  CHECK(leftovers(dir.path()).empty());
}

TEST_CASE("http_download: a body with the wrong sha256 is rejected and not kept", "[unit]") {
  test::HttpServer server([](const test::HttpRequest&) {
    return test::HttpResponse{200, {}, "tampered"};
  });
  TempDir dir;
  auto o = fast_options();
  const std::string expected(64, 'a');
  o.expected_sha256 = expected;
  const std::string url = server.url("/f");
  try {
    http_download(url, dir.path() + "/f", o);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "download '" + url + "': sha256 mismatch: expected " + expected +
                                       ", got " + sha256_hex("tampered"));
    CHECK(e.err() == EBADMSG);
  }
  CHECK(leftovers(dir.path()).empty());
}

TEST_CASE("http_download: an interrupt aborts the transfer and removes the temp file", "[unit]") {
  test::HttpServer server([](const test::HttpRequest&) {
    test::HttpResponse r{200, {}, "late"};
    r.delay_ms = 5000;
    return r;
  });
  TempDir dir;
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    set_interrupted(true);
  });
  int code = 0;
  try {
    http_download(server.url("/f"), dir.path() + "/f", fast_options());
  } catch (const Error& e) {
    code = e.exit_code();
  }
  interrupter.join();
  set_interrupted(false);
  CHECK(code == kExitInterrupted);
  CHECK(leftovers(dir.path()).empty());
}

TEST_CASE("http_download: an unsupported scheme is refused", "[unit]") {
  TempDir dir;
  CHECK_THROWS_WITH(http_download("file:///etc/passwd", dir.path() + "/f", fast_options()),
                    Catch::Matchers::StartsWith("download 'file:///etc/passwd': "));
  CHECK(leftovers(dir.path()).empty());
}
