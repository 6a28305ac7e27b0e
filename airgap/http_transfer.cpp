#include "airgap/http_transfer.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "airgap/exit_codes.hpp"
#include "util/cancel.hpp"
#include "util/curl_ptr.hpp"
#include "util/error.hpp"
#include "util/libcurl_loader.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* reason(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpCall* req = nullptr;
  HttpReply* resp = nullptr;
  CURL* curl = nullptr;
  std::exception_ptr error;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100): forget the previous headers.
    t->resp->content_type.clear();
    t->resp->docker_digest.clear();
    t->resp->www_authenticate.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = lower(std::string(line.substr(0, colon)));
  std::string value(trim(line.substr(colon + 1)));
  if (name == "content-type") t->resp->content_type = value.substr(0, value.find(';'));
  if (name == "docker-content-digest") t->resp->docker_digest = value;
  if (name == "www-authenticate") t->resp->www_authenticate = value;
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  try {
    if (status >= 200 && status < 300) {
      if (t->req->on_body) t->req->on_body(data, size * n, status);
    } else if (t->resp->error_body.size() < 4096) {
      t->resp->error_body.append(data, std::min(size * n, 4096 - t->resp->error_body.size()));
    }
  } catch (...) {
    t->error = std::current_exception();
    return 0;  // aborts the transfer
  }
  return size * n;
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return interrupted() ? 1 : 0;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string http_status_text(long status) {
  std::string r = reason(status);
  return std::to_string(status) + (r.empty() ? "" : " " + r);
}

std::string url_escape(const std::string& s) {
  CurlPtr c(curl_easy_init());
  char* e = curl_easy_escape(c.get(), s.c_str(), static_cast<int>(s.size()));
  std::string result = e != nullptr ? e : "";
  curl_free(e);
  return result;
}

bool HttpReply::timed_out() const {
  return curl_code == CURLE_OPERATION_TIMEDOUT;
}
bool HttpReply::cut_short() const {
  return curl_code == CURLE_PARTIAL_FILE;
}

bool HttpReply::retryable() const {
  if (curl_code != CURLE_OK) {
    return curl_code == CURLE_OPERATION_TIMEDOUT || curl_code == CURLE_PARTIAL_FILE ||
           curl_code == CURLE_COULDNT_CONNECT || curl_code == CURLE_RECV_ERROR ||
           curl_code == CURLE_SEND_ERROR || curl_code == CURLE_GOT_NOTHING ||
           curl_code == CURLE_COULDNT_RESOLVE_HOST;
  }
  return status >= 500 || status == 429 || status == 408;
}

HttpReply http_perform(HttpCall& req, const std::string& auth_header, const HttpSettings& s) {
  curl_global();
  CurlPtr curl(curl_easy_init());
  if (!curl) throw Error("initialise libcurl: " + libcurl_init_error(), kExitRuntime, ENOMEM);
  CURL* c = curl.get();
  HttpReply resp;
  Transfer t{&req, &resp, c, nullptr};
  CurlSlistPtr headers;
  auto add_header = [&](const std::string& h) {
    struct curl_slist* l = curl_slist_append(headers.get(), h.c_str());
    if (l == nullptr) throw Error("curl: out of memory", kExitRuntime, ENOMEM);
    (void)headers.release();
    headers.reset(l);
  };
  if (!req.accept.empty()) add_header("Accept: " + req.accept);
  if (!auth_header.empty()) add_header("Authorization: " + auth_header);
  for (const auto& h : req.headers) add_header(h);
  char errbuf[CURL_ERROR_SIZE] = {0};
  long timeout_s = std::max<long>(1, static_cast<long>(s.timeout.count() / 1000));
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.timeout.count()));
  // A transfer that moves nothing for the timeout is abandoned, whether it
  // stalls before the headers or in the middle of a blob.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout_s);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.post_body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.post_body.size()));
  }
  if (s.tls != nullptr) {
    const RegistryTls& tls = *s.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert_file.c_str());
    if (!tls.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key_file.c_str());
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  CURLcode rc = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw_if_interrupted();
  resp.curl_code = rc;
  resp.curl_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace kiln::airgap
