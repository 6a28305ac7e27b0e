// A small OCI distribution registry for fault-injection tests, on
// tests/support/http_server.hpp: serves an OCI layout's blobs and manifests
// under /v2/, with optional basic or bearer-token auth and a hook that can
// replace any answer (errors, stalls, truncation, redirects).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/http_server.hpp"

namespace kiln::test {

class FakeRegistry {
 public:
  enum class Auth { None, Basic, Bearer };
  // Serves blobs from the layout at `dir`; `tags` maps repo:tag -> digest.
  explicit FakeRegistry(std::string dir, Auth auth = Auth::None);

  void tag(const std::string& repo_tag, const std::string& digest, const std::string& media_type);
  // Runs before the normal handling; an answer replaces it. `n` counts the
  // requests for the same target, from 1.
  std::function<std::optional<HttpResponse>(const HttpRequest&, int n)> hook;

  [[nodiscard]] std::string host() const;  // "127.0.0.1:PORT"
  [[nodiscard]] std::vector<HttpRequest> requests() const { return server_->requests(); }

  std::string user = "kiln";
  std::string password = "s3cret";
  std::string token = "tok-123";

 private:
  HttpResponse handle(const HttpRequest& req);

  std::string dir_;
  Auth auth_;
  std::map<std::string, std::pair<std::string, std::string>> tags_;  // repo:tag -> (digest, type)
  std::map<std::string, int> counts_;
  std::mutex mu_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace kiln::test
