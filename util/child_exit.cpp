#include "util/child_exit.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include <sys/syscall.h>

namespace kiln {

ChildExitWatch::ChildExitWatch(pid_t pid) {
#ifdef SYS_pidfd_open
  // Probed by trying: the syscall may be absent or filtered.
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) pidfd_.reset(static_cast<int>(fd));  // pidfds are always close-on-exec
#else
  (void)pid;
#endif
}

void ChildExitWatch::sleep(std::chrono::milliseconds max) const {
  const int ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(max.count(), 0, 60'000));
  if (pidfd_) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    ::poll(&p, 1, ms);
  } else {
    ::usleep(static_cast<useconds_t>(std::min(ms, 2)) * 1000);
  }
}

}  // namespace kiln
