#include "util/child_exit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include "util/fd.hpp"
#include "util/spawn.hpp"

using namespace kiln;

namespace {

// `cat` reading from a pipe: it runs until the write end closes.
struct BlockedChild {
  UniqueFd feed;
  pid_t pid = -1;

  BlockedChild() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd read_end(fds[0]);
    feed.reset(fds[1]);
    SpawnRequest r;
    r.argv = {"cat"};
    r.env = {"PATH=/usr/bin:/bin"};
    r.stdio = {read_end.get(), 1, 2};
    pid = spawn_process(r);
  }
  BlockedChild(const BlockedChild&) = delete;
  BlockedChild& operator=(const BlockedChild&) = delete;
  ~BlockedChild() {
    feed.reset();
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
  // Whether waitpid finds the child exited without blocking (and reaps it).
  bool reaped_now() {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return false;
    pid = -1;
    return true;
  }
};

}  // namespace

TEST_CASE("child exit watch: sleeps until the child exits, not on a timer", "[unit]") {
  BlockedChild child;
  const ChildExitWatch watch(child.pid);
  // Linux >= 5.3 without a seccomp filter, as on every machine kiln supports
  // for first boot; the timer fallback is for older kernels only.
  REQUIRE(watch.exact());

  // A running child: the bounded sleep ends at its bound and the child is
  // still there.
  watch.sleep(std::chrono::milliseconds(20));
  CHECK_FALSE(child.reaped_now());

  // Once the child exits the sleep returns, and the child is ready to be
  // reaped at once (the bound only guards against a hang).
  child.feed.reset();
  watch.sleep(std::chrono::minutes(10));
  CHECK(child.reaped_now());
}

TEST_CASE("child exit watch: a zero or negative bound returns at once", "[unit]") {
  BlockedChild child;
  const ChildExitWatch watch(child.pid);
  watch.sleep(std::chrono::milliseconds(0));
  watch.sleep(std::chrono::milliseconds(-5));
  CHECK_FALSE(child.reaped_now());
}
