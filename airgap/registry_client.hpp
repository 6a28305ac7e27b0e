// A client for the OCI distribution API (what Docker Hub, distribution's
// docker-registry, Harbor and friends speak) over libcurl: manifests by tag
// or digest, blobs streamed to disk with resumption, anonymous / bearer
// token / basic auth driven by the registry's WWW-Authenticate challenge,
// redirects (credentials never follow a redirect to another host), and
// retries with backoff on 5xx, 429, timeouts and dropped connections.
//
// Errors are worded "GET 'URL': reason" with the exit code of their kind:
// 404 -> 4, 401/403 -> 1 (naming whether credentials were sent), anything
// else after the last attempt -> 1, a digest mismatch -> 3.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "airgap/credentials.hpp"
#include "airgap/http_transfer.hpp"
#include "airgap/image_ref.hpp"
#include "airgap/oci_json.hpp"

namespace kiln::airgap {

struct RegistryOptions {
  Credentials credentials;
  // Hosts reached over plain http; localhost, 127.0.0.1 and [::1] always are.
  std::set<std::string> plain_http;
  std::map<std::string, RegistryTls> tls;  // by host[:port]
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  int attempts = 4;
  std::chrono::milliseconds retry_delay{500};  // doubled after each attempt
};

struct FetchedManifest {
  std::string media_type;
  std::string digest;
  std::string body;
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions options);

  // GET /v2/<repo>/manifests/<reference>. The body's digest is checked
  // against `reference` when that is a digest.
  FetchedManifest fetch_manifest(const ImageRef& image, const std::string& reference);

  // GET /v2/<repo>/blobs/<digest> into `partial` (continuing what a previous
  // attempt left there with a Range request), verified against the
  // descriptor, then renamed to `dest`. `progress` gets byte counts.
  void fetch_blob(const ImageRef& image, const Descriptor& d, const std::string& partial,
                  const std::string& dest, const std::function<void(uint64_t)>& progress);

  [[nodiscard]] std::string base_url(const ImageRef& image) const;

 private:
  // With auth (one challenge round) and retries; throws the final failure.
  HttpReply perform(const ImageRef& image, HttpCall& req);
  std::string authorize(const ImageRef& image, const std::string& challenge,
                        const std::string& url);
  [[nodiscard]] HttpSettings settings(const ImageRef& image) const;

  RegistryOptions options_;
  // Authorization header values by host + repository, learned from challenges.
  std::map<std::string, std::string> auth_;
};

// Parses a WWW-Authenticate header: scheme and parameters.
struct AuthChallenge {
  std::string scheme;  // "bearer", "basic" (lower-cased)
  std::map<std::string, std::string> params;
};
AuthChallenge parse_auth_challenge(const std::string& header);

}  // namespace kiln::airgap
