#include "tests/airgap/fake_registry.hpp"

#include <openssl/evp.h>

#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln::test {
namespace {

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

HttpResponse json_error(int status, const std::string& code, const std::string& message) {
  return {status,
          {{"Content-Type", "application/json"}},
          R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})"};
}

}  // namespace

FakeRegistry::FakeRegistry(std::string dir, Auth auth) : dir_(std::move(dir)), auth_(auth) {
  server_ = std::make_unique<HttpServer>([this](const HttpRequest& r) { return handle(r); });
}

std::string FakeRegistry::host() const {
  return "127.0.0.1:" + std::to_string(server_->port());
}

void FakeRegistry::tag(const std::string& repo_tag, const std::string& digest,
                       const std::string& media_type) {
  std::lock_guard lock(mu_);
  tags_[repo_tag] = {digest, media_type};
}

HttpResponse FakeRegistry::handle(const HttpRequest& req) {
  int n = 0;
  {
    std::lock_guard lock(mu_);
    n = ++counts_[req.method + " " + req.target];
  }
  if (hook) {
    if (auto r = hook(req, n)) return *r;
  }
  std::string auth = req.header("authorization");
  if (req.target.starts_with("/token")) {
    if (auth != "Basic " + b64(user + ":" + password)) return {401, {}, "denied"};
    return {200, {{"Content-Type", "application/json"}}, R"({"token":")" + token + R"("})"};
  }
  if (auth_ == Auth::Basic && auth != "Basic " + b64(user + ":" + password)) {
    return {401, {{"WWW-Authenticate", R"(Basic realm="fake")"}}, ""};
  }
  if (auth_ == Auth::Bearer && auth != "Bearer " + token) {
    return {401,
            {{"WWW-Authenticate", R"(Bearer realm="http://)" + host() +
                                      R"(/token",service="fake",scope="repository:app:pull")"}},
            ""};
  }
  const std::string& t = req.target;
  if (t == "/v2/") return {200, {}, "{}"};
  size_t m = t.find("/manifests/");
  size_t b = t.find("/blobs/");
  if (!t.starts_with("/v2/") || (m == std::string::npos && b == std::string::npos)) {
    return {404, {}, ""};
  }
  bool manifest = m != std::string::npos;
  std::string repo = t.substr(4, (manifest ? m : b) - 4);
  std::string ref = t.substr((manifest ? m + 11 : b + 7));
  std::string digest = ref;
  std::string type = "application/octet-stream";
  if (manifest) {
    auto it = tags_.find(repo + ":" + ref);
    if (it != tags_.end()) {
      digest = it->second.first;
      type = it->second.second;
    } else {
      for (const auto& [k, v] : tags_) {
        if (v.first == ref) type = v.second;
      }
    }
  }
  auto body = digest.starts_with("sha256:")
                  ? read_file_if_exists(dir_ + "/blobs/sha256/" + digest.substr(7), 1 << 30)
                  : std::nullopt;
  if (!body) {
    return manifest ? json_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                    : json_error(404, "BLOB_UNKNOWN", "blob unknown to registry");
  }
  if (manifest && type == "application/octet-stream") {
    auto j = body->find("\"mediaType\":\"");
    if (j != std::string::npos) type = body->substr(j + 13, body->find('"', j + 13) - j - 13);
  }
  HttpResponse r{200, {{"Content-Type", type}, {"Docker-Content-Digest", digest}}, *body};
  std::string range = req.header("range");
  if (!manifest && range.starts_with("bytes=")) {
    size_t from = std::stoull(range.substr(6));
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(from) + "-" +
                                                std::to_string(body->size() - 1) + "/" +
                                                std::to_string(body->size()));
    r.body = body->substr(from);
  }
  return r;
}

}  // namespace kiln::test
