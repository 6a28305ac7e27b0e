#include "airgap/registry_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/media_types.hpp"
#include "util/atomic_file.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_loopback(const std::string& host) {
  std::string h = host.substr(0, host.rfind(':') == std::string::npos || host.starts_with('[')
                                     ? host.size()
                                     : host.rfind(':'));
  if (host.starts_with("[::1]")) return true;
  return h == "localhost" || h == "127.0.0.1";
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
  if (options_.attempts < 1) options_.attempts = 1;
}

std::string RegistryClient::base_url(const ImageRef& image) const {
  std::string host = image.api_host();
  bool plain = is_loopback(host) || options_.plain_http.count(host) != 0;
  return (plain ? "http://" : "https://") + host;
}

std::string RegistryClient::authorize(const ImageRef& image, const std::string& header,
                                      const std::string& url) {
  std::string host = image.domain;
  auto creds = options_.credentials.find(host);
  AuthChallenge ch = parse_auth_challenge(header);
  if (ch.scheme == "basic") {
    if (!creds || creds->username.empty()) return "";
    return "Basic " + base64_encode(creds->username + ":" + creds->password);
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
  HttpCall token;
  std::string token_body;
  token.on_body = [&](const char* d, size_t n, long) {
    if (token_body.size() + n > (1 << 20))
      throw Error("GET '" + realm + "': token response too large");
    token_body.append(d, n);
  };
  std::string auth;
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant, as Docker does with an identity token.
    token.method = "POST";
    token.url = realm;
    token.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    token.post_body =
        "grant_type=refresh_token&client_id=kiln&service=" + url_escape(ch.params["service"]) +
        "&scope=" + url_escape(scope) + "&refresh_token=" + url_escape(creds->identity_token);
  } else {
    token.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                "service=" + url_escape(ch.params["service"]) + "&scope=" + url_escape(scope);
    if (creds && !creds->username.empty()) {
      auth = "Basic " + base64_encode(creds->username + ":" + creds->password);
    }
  }
  HttpReply r = http_perform(token, auth, settings(image));
  std::string shown = realm;
  if (r.curl_code != 0) throw Error("GET '" + shown + "': " + r.curl_error, kExitRuntime);
  if (r.status != 200) {
    std::string why = http_status_text(r.status);
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
  if (value.empty())
    throw Error("GET '" + shown + "': the token service returned no token", kExitRuntime);
  return "Bearer " + value;
}

HttpSettings RegistryClient::settings(const ImageRef& image) const {
  HttpSettings s;
  s.timeout = options_.timeout;
  auto it = options_.tls.find(image.api_host());
  if (it != options_.tls.end()) s.tls = &it->second;
  return s;
}

HttpReply RegistryClient::perform(const ImageRef& image, HttpCall& req) {
  std::string key = image.domain + "/" + image.repository;
  bool tried_auth = false;
  HttpReply r;
  auto delay = options_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    throw_if_interrupted();
    if (req.before_attempt) req.before_attempt(req);
    if (auto creds = options_.credentials.find(image.domain);
        creds && !creds->registry_token.empty() && auth_.count(key) == 0) {
      auth_[key] = "Bearer " + creds->registry_token;
    }
    r = http_perform(req, auth_.count(key) != 0 ? auth_[key] : "", settings(image));
    if (r.curl_code == 0 && r.status == 401 && !tried_auth && !r.www_authenticate.empty()) {
      tried_auth = true;
      std::string header = authorize(image, r.www_authenticate, req.url);
      if (!header.empty()) {
        auth_[key] = header;
        --attempt;  // the challenge round does not count as a failure
        continue;
      }
    }
    if (r.ok() || !r.retryable() || attempt >= options_.attempts) {
      break;
    }
    log_debug("GET '" + req.url +
              "': " + (r.curl_code != 0 ? r.curl_error : http_status_text(r.status)) +
              "; retrying in " + std::to_string(delay.count()) + " ms");
    auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
      throw_if_interrupted();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    delay *= 2;
  }
  if (r.ok()) return r;
  std::string why;
  int code = kExitRuntime;
  bool retried = options_.attempts > 1 && r.retryable();
  if (r.timed_out()) {
    why = "timed out after " +
          std::to_string(std::max<long long>(1, options_.timeout.count() / 1000)) + " s";
  } else if (r.cut_short()) {
    why = "the connection closed before the body was complete";
  } else if (r.curl_code != 0) {
    why = r.curl_error;
  } else {
    why = http_status_text(r.status);
    std::string msg = registry_message(r.error_body);
    if (!msg.empty()) why += ": " + msg;
    if (r.status == 401 || r.status == 403) {
      why += options_.credentials.find(image.domain)
                 ? " (the credentials for " + image.domain + " were refused)"
                 : " (no credentials for " + image.domain + ")";
    }
    if (r.status == 404) code = kExitMissingInput;
  }
  if (retried) why += " (gave up after " + std::to_string(options_.attempts) + " attempts)";
  throw Error(req.method + " '" + req.url + "': " + why, code);
}

FetchedManifest RegistryClient::fetch_manifest(const ImageRef& image,
                                               const std::string& reference) {
  HttpCall req;
  req.url = base_url(image) + "/v2/" + image.repository + "/manifests/" + reference;
  req.accept = std::string(media::kManifestAccept);
  std::string body;
  req.before_attempt = [&](HttpCall&) { body.clear(); };
  req.on_body = [&](const char* d, size_t n, long) {
    if (body.size() + n > kMaxJsonBlob) {
      throw Error("GET '" + req.url + "': manifest larger than 4 MiB", kExitInvalid);
    }
    body.append(d, n);
  };
  HttpReply r = perform(image, req);
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

void RegistryClient::fetch_blob(const ImageRef& image, const Descriptor& d,
                                const std::string& partial, const std::string& dest,
                                const std::function<void(uint64_t)>& progress) {
  HttpCall req;
  req.url = base_url(image) + "/v2/" + image.repository + "/blobs/" + d.digest;
  UniqueFd fd = open_file(partial, O_WRONLY | O_CREAT, 0644);
  // Another kiln sharing the cache may be fetching the same blob: wait for it,
  // and use its result when it finished.
  if (::flock(fd.get(), LOCK_EX) != 0) throw_errno("lock", partial);
  if (path_exists(dest)) return;
  uint64_t have = 0;
  bool restart_body = false;
  req.before_attempt = [&](HttpCall& r) {
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
  // `fd` (and its lock) stays open until the blob is in place.
  std::string actual = "sha256:" + sha256_file(partial);
  auto st = lstat_path(partial);
  uint64_t size = st ? static_cast<uint64_t>(st->st_size) : 0;
  if (actual != d.digest || size != d.size) {
    remove_tree(partial);
    if (size != d.size) {
      throw Error("GET '" + req.url + "': got " + std::to_string(size) +
                      " bytes, the descriptor says " + std::to_string(d.size),
                  kExitVerification);
    }
    throw Error("GET '" + req.url + "': the blob's content is " + actual + ", not " + d.digest,
                kExitVerification);
  }
  rename_durable(partial, dest);
}

}  // namespace kiln::airgap
