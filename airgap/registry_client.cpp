#include "airgap/registry_client.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/media_types.hpp"
#include "util/atomic_file.hpp"
#include "util/cancel.hpp"
#include "util/curl_ptr.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

struct RegistryClient::Response {
  long status = 0;
  CURLcode curl = CURLE_OK;
  std::string curl_error;
  std::string content_type;
  std::string docker_digest;
  std::string www_authenticate;
  std::string error_body;  // the start of a non-2xx body, for the registry's message
};

struct RegistryClient::Request {
  std::string method = "GET";
  std::string url;
  std::string accept;
  std::vector<std::string> headers;
  std::string post_body;
  // Receives the body of a 2xx response.
  std::function<void(const char*, size_t, long status)> on_body;
  // Runs before every attempt (blob downloads set their Range here).
  std::function<void(Request&)> before_attempt;
};

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

const char* reason(long status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string status_text(long status) {
  std::string r = reason(status);
  return std::to_string(status) + (r.empty() ? "" : " " + r);
}

bool retryable(const std::string& /*method*/, long status, CURLcode code) {
  if (code != CURLE_OK) {
    return code == CURLE_OPERATION_TIMEDOUT || code == CURLE_PARTIAL_FILE ||
           code == CURLE_COULDNT_CONNECT || code == CURLE_RECV_ERROR ||
           code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
           code == CURLE_COULDNT_RESOLVE_HOST;
  }
  return status >= 500 || status == 429 || status == 408;
}

bool is_loopback(const std::string& host) {
  std::string h = host.substr(0, host.rfind(':') == std::string::npos || host.starts_with('[')
                                     ? host.size()
                                     : host.rfind(':'));
  if (host.starts_with("[::1]")) return true;
  return h == "localhost" || h == "127.0.0.1";
}

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  RegistryClient::Request* req = nullptr;
  RegistryClient::Response* resp = nullptr;
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

// The registry's own explanation from an error body:
// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}.
std::string registry_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      std::string m = e["message"].get<std::string>();
      if (!m.empty() && m.size() < 200 && m.find('\n') == std::string::npos) return m;
    }
  }
  return "";
}

std::string url_encode(CURL* c, const std::string& s) {
  char* e = curl_easy_escape(c, s.c_str(), static_cast<int>(s.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

}  // namespace

AuthChallenge parse_auth_challenge(const std::string& header) {
  AuthChallenge c;
  std::string_view h = trim(header);
  size_t sp = h.find(' ');
  c.scheme = lower(std::string(h.substr(0, sp)));
  if (sp == std::string_view::npos) return c;
  std::string_view rest = h.substr(sp + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string key = lower(std::string(trim(rest.substr(0, eq))));
    rest.remove_prefix(eq + 1);
    std::string value;
    if (rest.starts_with('"')) {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      rest.remove_prefix(std::min(rest.size(), i + 1));
    } else {
      size_t end = rest.find(',');
      value = std::string(trim(rest.substr(0, end)));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    c.params[key] = value;
    rest = trim(rest);
    if (rest.starts_with(',')) rest.remove_prefix(1);
  }
  return c;
}

RegistryClient::RegistryClient(RegistryOptions options) : options_(std::move(options)) {
  curl_global();
  if (options_.attempts < 1) options_.attempts = 1;
}

std::string RegistryClient::base_url(const ImageRef& image) const {
  std::string host = image.api_host();
  bool plain = is_loopback(host) || options_.plain_http.count(host) != 0;
  return (plain ? "http://" : "https://") + host;
}

void RegistryClient::configure_tls(void* handle, const std::string& host) const {
  auto* c = static_cast<CURL*>(handle);
  auto it = options_.tls.find(host);
  if (it == options_.tls.end()) return;
  const RegistryTls& t = it->second;
  if (!t.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, t.ca_file.c_str());
  if (!t.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, t.cert_file.c_str());
  if (!t.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, t.key_file.c_str());
  if (t.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

RegistryClient::Response RegistryClient::perform_once(const ImageRef& image, Request& req,
                                                      const std::string& auth_header) {
  CurlPtr curl(curl_easy_init());
  if (!curl) throw Error("curl: out of memory", kExitRuntime, ENOMEM);
  CURL* c = curl.get();
  Response resp;
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
  long timeout_s = std::max<long>(1, static_cast<long>(options_.timeout.count() / 1000));
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
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
  configure_tls(c, image.api_host());
  resp.curl = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (resp.curl == CURLE_ABORTED_BY_CALLBACK) throw_if_interrupted();
  resp.curl_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(resp.curl);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

std::string RegistryClient::authorize(const ImageRef& image, const std::string& header,
                                      const std::string& url) {
  std::string host = image.domain;
  auto creds = options_.credentials.find(host);
  AuthChallenge ch = parse_auth_challenge(header);
  if (ch.scheme == "basic") {
    if (!creds || creds->username.empty()) return "";
    return "Basic " + base64(creds->username + ":" + creds->password);
  }
  if (ch.scheme != "bearer") return "";
  if (creds && !creds->registry_token.empty()) return "Bearer " + creds->registry_token;
  std::string realm = ch.params["realm"];
  if (realm.empty()) {
    throw Error("GET '" + url + "': the registry asked for a bearer token without naming a realm",
                kExitRuntime);
  }
  std::string scope = ch.params.count("scope") != 0 ? ch.params["scope"]
                                                     : "repository:" + image.repository + ":pull";
  Request token;
  std::string token_body;
  token.on_body = [&](const char* d, size_t n, long) {
    if (token_body.size() + n > (1 << 20)) throw Error("GET '" + realm + "': token response too large");
    token_body.append(d, n);
  };
  std::string auth;
  CurlPtr esc(curl_easy_init());
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant, as Docker does with an identity token.
    token.method = "POST";
    token.url = realm;
    token.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    token.post_body = "grant_type=refresh_token&client_id=kiln&service=" +
                      url_encode(esc.get(), ch.params["service"]) +
                      "&scope=" + url_encode(esc.get(), scope) +
                      "&refresh_token=" + url_encode(esc.get(), creds->identity_token);
  } else {
    token.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                "service=" + url_encode(esc.get(), ch.params["service"]) +
                "&scope=" + url_encode(esc.get(), scope);
    if (creds && !creds->username.empty()) {
      auth = "Basic " + base64(creds->username + ":" + creds->password);
    }
  }
  Response r = perform_once(image, token, auth);
  std::string shown = realm;
  if (r.curl != CURLE_OK) throw Error("GET '" + shown + "': " + r.curl_error, kExitRuntime);
  if (r.status != 200) {
    std::string why = status_text(r.status);
    if (r.status == 401 || r.status == 403) {
      why += creds ? " (the credentials for " + host + " were refused)"
                   : " (no credentials for " + host + ")";
    }
    throw Error("GET '" + shown + "': " + why, kExitRuntime);
  }
  auto j = nlohmann::json::parse(token_body, nullptr, false);
  std::string value;
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) {
        value = j[key].get<std::string>();
        break;
      }
    }
  }
  if (value.empty()) throw Error("GET '" + shown + "': the token service returned no token", kExitRuntime);
  return "Bearer " + value;
}

RegistryClient::Response RegistryClient::perform(const ImageRef& image, Request& req) {
  std::string key = image.domain + "/" + image.repository;
  bool tried_auth = false;
  Response r;
  auto delay = options_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    throw_if_interrupted();
    if (req.before_attempt) req.before_attempt(req);
    if (auto creds = options_.credentials.find(image.domain);
        creds && !creds->registry_token.empty() && auth_.count(key) == 0) {
      auth_[key] = "Bearer " + creds->registry_token;
    }
    r = perform_once(image, req, auth_.count(key) != 0 ? auth_[key] : "");
    if (r.curl == CURLE_OK && r.status == 401 && !tried_auth && !r.www_authenticate.empty()) {
      tried_auth = true;
      std::string header = authorize(image, r.www_authenticate, req.url);
      if (!header.empty()) {
        auth_[key] = header;
        --attempt;  // the challenge round does not count as a failure
        continue;
      }
    }
    bool ok = r.curl == CURLE_OK && r.status >= 200 && r.status < 300;
    if (ok || !retryable(req.method, r.status, r.curl) || attempt >= options_.attempts) {
      break;
    }
    log_debug("GET '" + req.url + "': " +
              (r.curl != CURLE_OK ? r.curl_error : status_text(r.status)) + "; retrying in " +
              std::to_string(delay.count()) + " ms");
    auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
      throw_if_interrupted();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    delay *= 2;
  }
  if (r.curl == CURLE_OK && r.status >= 200 && r.status < 300) return r;
  std::string why;
  int code = kExitRuntime;
  bool retried = options_.attempts > 1 && retryable(req.method, r.status, r.curl);
  if (r.curl == CURLE_OPERATION_TIMEDOUT) {
    why = "timed out after " + std::to_string(std::max<long long>(1, options_.timeout.count() / 1000)) + " s";
  } else if (r.curl == CURLE_PARTIAL_FILE) {
    why = "the connection closed before the body was complete";
  } else if (r.curl != CURLE_OK) {
    why = r.curl_error;
  } else {
    why = status_text(r.status);
    std::string msg = registry_message(r.error_body);
    if (!msg.empty()) why += ": " + msg;
    if (r.status == 401 || r.status == 403) {
      why += options_.credentials.find(image.domain) ? " (the credentials for " + image.domain +
                                                           " were refused)"
                                                     : " (no credentials for " + image.domain + ")";
    }
    if (r.status == 404) code = kExitMissingInput;
  }
  if (retried) why += " (gave up after " + std::to_string(options_.attempts) + " attempts)";
  throw Error(req.method + " '" + req.url + "': " + why, code);
}

FetchedManifest RegistryClient::fetch_manifest(const ImageRef& image, const std::string& reference) {
  Request req;
  req.url = base_url(image) + "/v2/" + image.repository + "/manifests/" + reference;
  req.accept = std::string(media::kManifestAccept);
  std::string body;
  req.before_attempt = [&](Request&) { body.clear(); };
  req.on_body = [&](const char* d, size_t n, long) {
    if (body.size() + n > kMaxJsonBlob) {
      throw Error("GET '" + req.url + "': manifest larger than 4 MiB", kExitInvalid);
    }
    body.append(d, n);
  };
  Response r = perform(image, req);
  FetchedManifest m;
  m.body = std::move(body);
  m.digest = "sha256:" + sha256_hex(m.body);
  if (is_digest(reference) && m.digest != reference) {
    throw Error("GET '" + req.url + "': the registry sent content with digest " + m.digest,
                kExitVerification);
  }
  if (!r.docker_digest.empty() && r.docker_digest != m.digest) {
    throw Error("GET '" + req.url + "': Docker-Content-Digest says " + r.docker_digest +
                    " but the content is " + m.digest,
                kExitVerification);
  }
  m.media_type = r.content_type;
  if (media::classify(m.media_type) != media::Kind::Index &&
      media::classify(m.media_type) != media::Kind::Manifest) {
    // Some registries answer application/json; the document says what it is.
    m.media_type = document_media_type(m.body, "GET '" + req.url + "'");
  }
  return m;
}

void RegistryClient::fetch_blob(const ImageRef& image, const Descriptor& d, const std::string& partial,
                                const std::string& dest, const std::function<void(uint64_t)>& progress) {
  Request req;
  req.url = base_url(image) + "/v2/" + image.repository + "/blobs/" + d.digest;
  UniqueFd fd = open_file(partial, O_WRONLY | O_CREAT, 0644);
  uint64_t have = 0;
  bool restart_body = false;
  req.before_attempt = [&](Request& r) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat", partial);
    have = static_cast<uint64_t>(st.st_size);
    if (have >= d.size) {
      // Too long (or complete but unverified): start over.
      if (::ftruncate(fd.get(), 0) != 0) throw_errno("truncate", partial);
      have = 0;
    }
    r.headers.clear();
    if (have > 0) r.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
    restart_body = have > 0;
    if (::lseek(fd.get(), static_cast<off_t>(have), SEEK_SET) < 0) throw_errno("seek", partial);
  };
  req.on_body = [&](const char* data, size_t n, long status) {
    if (restart_body && status == 200) {
      // The server ignored the Range: take the whole body from the start.
      if (::ftruncate(fd.get(), 0) != 0) throw_errno("truncate", partial);
      if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw_errno("seek", partial);
      have = 0;
    }
    restart_body = false;
    if (have + n > d.size) {
      throw Error("GET '" + req.url + "': the blob is larger than its descriptor's " +
                      std::to_string(d.size) + " bytes",
                  kExitVerification);
    }
    write_all(fd.get(), std::string_view(data, n), partial);
    have += n;
    if (progress) progress(n);
  };
  perform(image, req);
  if (::fsync(fd.get()) != 0) throw_errno("fsync", partial);
  fd.reset();
  std::string actual = "sha256:" + sha256_file(partial);
  auto st = lstat_path(partial);
  uint64_t size = st ? static_cast<uint64_t>(st->st_size) : 0;
  if (actual != d.digest || size != d.size) {
    remove_tree(partial);
    if (size != d.size) {
      throw Error("GET '" + req.url + "': got " + std::to_string(size) + " bytes, the descriptor says " +
                      std::to_string(d.size),
                  kExitVerification);
    }
    throw Error("GET '" + req.url + "': the blob's content is " + actual + ", not " + d.digest,
                kExitVerification);
  }
  rename_durable(partial, dest);
}

}  // namespace kiln::airgap
