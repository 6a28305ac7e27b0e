#include "util/route_probe.hpp"

#include <cerrno>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace kiln {
namespace {

// "No route (yet)": the errors connect(2) gives for a UDP socket while the
// routing table has nothing for the address or its interface is down.
bool is_unreachable(int err) {
  return err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL;
}

}  // namespace

bool has_route_to(const std::string& ip) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(80);
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(80);
    len = sizeof(*v6);
  } else {
    throw Error("find a route to '" + ip + "': not an IPv4 or IPv6 address", 1, EINVAL);
  }
  UniqueFd fd(::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    // A kernel without IPv6 has no route to an IPv6 address either.
    if (errno == EAFNOSUPPORT) return false;
    throw_errno("open a socket to find a route to", ip);
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) == 0) return true;
  if (is_unreachable(errno)) return false;
  throw_errno("find a route to", ip);
}

bool wait_for_route(const std::string& ip, std::chrono::milliseconds budget,
                    std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (true) {
    if (has_route_to(ip)) return true;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(interval, left));
  }
}

std::optional<std::string> url_ip_literal(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  rest = rest.substr(rest.find('@') == std::string::npos ? 0 : rest.find('@') + 1);
  std::string host;
  if (rest.starts_with("[")) {
    auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
  } else {
    host = rest.substr(0, rest.find(':'));
  }
  in6_addr scratch{};
  if (::inet_pton(AF_INET, host.c_str(), &scratch) == 1 ||
      ::inet_pton(AF_INET6, host.c_str(), &scratch) == 1) {
    return host;
  }
  return std::nullopt;
}

}  // namespace kiln
