// Bounded HTTP requests for the network datasources (IMDS, an http seed on
// the kernel command line) and --wait-ready. libcurl is initialised on the
// first request only, so runs that never touch the network never pay for it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kiln::firstboot {

struct HttpResult {
  long status = 0;  // 0 when there was no HTTP answer
  std::string body;
  std::string error;  // transport error (connection refused, timeout)
  [[nodiscard]] bool ok() const { return status == 200; }
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::chrono::milliseconds timeout{2000};
  size_t max_bytes = 1 << 20;
  bool verify_tls = true;
};

// One attempt; never throws for network problems (see HttpResult.error).
HttpResult http_request(const HttpRequest& request);

// Retries transport errors (the network may not be up yet) every 100 ms
// until `deadline`; each attempt's timeout is cut to what is left.
HttpResult http_request_until(HttpRequest request, std::chrono::steady_clock::time_point deadline);

}  // namespace kiln::firstboot
