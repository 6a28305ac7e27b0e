#include "tests/support/network_namespace.hpp"

#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <exception>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace kiln::test {

int run_in_new_network_namespace(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", "a network namespace test");
  if (pid == 0) {
    // The child never returns into Catch: _exit keeps it from running the
    // parent's remaining tests or its atexit handlers.
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(125);
    int code = 124;
    try {
      code = body();
    } catch (const std::exception&) {
      code = 124;
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for", "a network namespace test");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void bring_loopback_up() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("open a socket for", "lo");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) throw_errno("get flags of", "lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0) throw_errno("bring up", "lo");
}

}  // namespace kiln::test
