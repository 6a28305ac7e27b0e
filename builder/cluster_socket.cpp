#include "builder/cluster_socket.hpp"

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

int ms_until(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1000));
}

}  // namespace

LineSocket::LineSocket(const std::string& dir, const std::string& name)
    : shown_(path_join(dir, name)) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = shown_;
  UniqueFd dir_fd;
  if (path.size() >= sizeof addr.sun_path) {
    // Deep cluster directories: name the socket through its directory's fd.
    dir_fd = open_file(dir, O_PATH | O_DIRECTORY);
    path = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/" + name;
    if (path.size() >= sizeof addr.sun_path) {
      throw Error("connect '" + shown_ + "': socket name too long");
    }
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_errno("create socket for", shown_);
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw_errno("connect", shown_);
  }
}

void LineSocket::send(const std::string& data, std::chrono::steady_clock::time_point deadline) {
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) {
      rest.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) throw_errno("write to", shown_);
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error("write to '" + shown_ + "': timed out", 1, ETIMEDOUT);
    }
    pollfd p{fd_.get(), POLLOUT, 0};
    ::poll(&p, 1, ms_until(deadline));
  }
}

std::optional<std::string> LineSocket::read_line(std::chrono::steady_clock::time_point deadline) {
  char buf[4096];
  while (true) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (closed_) return std::nullopt;
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      closed_ = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_errno("read from", shown_);
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    pollfd p{fd_.get(), POLLIN, 0};
    ::poll(&p, 1, ms_until(deadline));
  }
}

}  // namespace kiln
