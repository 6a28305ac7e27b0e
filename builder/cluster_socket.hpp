// A line-oriented Unix socket client with a deadline on every operation,
// for the two sockets QEMU serves per cluster node: QMP and the host end of
// the virtio-serial status channel. Paths longer than a sockaddr_un holds
// are reached through /proc/self/fd of their directory.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "util/fd.hpp"

namespace kiln {

class LineSocket {
 public:
  // Connects to `dir`/`name`; throws kiln::Error when nothing listens there.
  LineSocket(const std::string& dir, const std::string& name);

  // Writes all of `data`, or throws at the deadline.
  void send(const std::string& data, std::chrono::steady_clock::time_point deadline);
  // The next line (without "\n" or "\r\n"), or nullopt when the deadline
  // passes or the other end closes first.
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline);

  [[nodiscard]] const std::string& name() const { return shown_; }

 private:
  UniqueFd fd_;
  std::string shown_;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace kiln
