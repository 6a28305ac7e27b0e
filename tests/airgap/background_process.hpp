// A program the test starts in the background (a registry, containerd) and
// stops when the object goes away: SIGTERM, then SIGKILL after a grace
// period. Its output goes to a log file the test can show on failure.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace kiln::test {

class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess();

  [[nodiscard]] bool running();
  [[nodiscard]] std::string log() const;
  void stop();

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Waits until something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port, int timeout_ms);
// Waits until `path` exists (a unix socket, a file).
bool wait_for_path(const std::string& path, int timeout_ms);

}  // namespace kiln::test
