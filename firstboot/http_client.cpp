#include "firstboot/http_client.hpp"

#include <mutex>
#include <thread>

#include "util/cancel.hpp"
#include "util/curl_ptr.hpp"
#include "util/error.hpp"
#include "util/libcurl_loader.hpp"

namespace kiln::firstboot {
namespace {

struct Sink {
  std::string* body;
  size_t max_bytes;
  bool overflow = false;
};

size_t collect(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t bytes = size * n;
  if (s->body->size() + bytes > s->max_bytes) {
    s->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  s->body->append(p, bytes);
  return bytes;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error("initialise libcurl: " + libcurl_init_error());
  });
}

}  // namespace

HttpResult http_request(const HttpRequest& request) {
  init_curl_once();
  HttpResult result;
  CurlPtr curl(curl_easy_init());
  if (!curl) throw Error("initialise libcurl: " + libcurl_init_error());
  CurlSlistPtr headers;
  for (const auto& h : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (next == nullptr) throw Error("initialise libcurl: out of memory");
    (void)headers.release();
    headers.reset(next);
  }
  Sink sink{&result.body, request.max_bytes};
  long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "PUT") curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  // Metadata endpoints and seeds are reached directly, never via a proxy.
  curl_easy_setopt(curl.get(), CURLOPT_PROXY, "");
  if (!request.verify_tls) {
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    result.error = sink.overflow
                       ? "response larger than " + std::to_string(request.max_bytes) + " bytes"
                       : curl_easy_strerror(rc);
    result.body.clear();
    return result;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

HttpResult http_request_until(HttpRequest request, std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  const auto per_attempt = request.timeout;
  HttpResult last;
  while (true) {
    throw_if_interrupted();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      if (last.error.empty() && last.status == 0) last.error = "timed out";
      return last;
    }
    request.timeout = std::min(per_attempt, left);
    last = http_request(request);
    if (last.status != 0 || last.error.starts_with("response larger")) return last;
    auto pause = std::min<Clock::duration>(std::chrono::milliseconds(100), deadline - Clock::now());
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

}  // namespace kiln::firstboot
