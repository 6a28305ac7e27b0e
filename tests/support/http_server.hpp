// A small HTTP/1.1 server on 127.0.0.1 for tests: each request goes to a
// handler that can answer anything, including errors, redirects, partial
// content and stalls. It binds an ephemeral port and stops on destruction.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln::test {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Stop after sending this many body bytes and close (to test truncation
  // and resumption); -1 sends everything.
  long long cut_after = -1;
  // Sleep this long before answering (to test timeouts).
  int delay_ms = 0;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  explicit HttpServer(Handler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/") const;
  // Requests seen so far.
  [[nodiscard]] std::vector<HttpRequest> requests() const;

 private:
  void serve();
  void handle(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> workers_;
};

}  // namespace kiln::test
