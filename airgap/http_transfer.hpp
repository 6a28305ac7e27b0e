// One HTTP exchange through libcurl, as the registry client needs it:
// redirects followed (credentials never forwarded to another host: curl
// drops a custom Authorization header on a cross-host redirect), a stall
// timeout that covers both waiting for the answer and a stalled body, the
// body streamed to a callback, interruption honoured, TLS settings per
// registry. Retries and auth live in the registry client.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::airgap {

struct RegistryTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::string accept;
  std::vector<std::string> headers;
  std::string post_body;
  // Receives the body of a 2xx answer; throwing aborts the transfer.
  std::function<void(const char*, size_t, long status)> on_body;
  // Runs before every attempt (blob downloads set their Range here).
  std::function<void(HttpCall&)> before_attempt;
};

struct HttpReply {
  long status = 0;
  int curl_code = 0;  // CURLcode; 0 when the exchange completed
  std::string curl_error;
  std::string content_type;
  std::string docker_digest;
  std::string www_authenticate;
  std::string error_body;  // the start of a non-2xx body
  [[nodiscard]] bool ok() const { return curl_code == 0 && status >= 200 && status < 300; }
  [[nodiscard]] bool timed_out() const;
  [[nodiscard]] bool cut_short() const;  // the connection closed mid-body
  // Worth another attempt: 5xx, 408, 429, timeouts, dropped connections.
  [[nodiscard]] bool retryable() const;
};

struct HttpSettings {
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  const RegistryTls* tls = nullptr;
};

HttpReply http_perform(HttpCall& call, const std::string& authorization, const HttpSettings& s);

// "404 Not Found"
std::string http_status_text(long status);
std::string url_escape(const std::string& s);
std::string base64_encode(std::string_view in);

}  // namespace kiln::airgap
