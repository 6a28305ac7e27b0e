// Waiting for a child process to exit without waking on a timer.
#pragma once

#include <sys/types.h>

#include <chrono>

#include "util/fd.hpp"

namespace kiln {

// A pidfd becomes readable when its process exits, so a wait can sleep until
// then: a timer of 10 ms cost each short command up to 10 ms, a third of a
// first boot's run on hardware. Where pidfd_open is missing (Linux < 5.3) or
// refused (a seccomp filter), the watch falls back to a short timer.
class ChildExitWatch {
 public:
  explicit ChildExitWatch(pid_t pid);

  // Whether a pidfd backs the watch (false: the timer fallback).
  [[nodiscard]] bool exact() const { return pidfd_.valid(); }

  // Sleeps until the child has exited (waitpid will then reap it at once)
  // or `max` has passed; a signal ends the sleep early too.
  void sleep(std::chrono::milliseconds max) const;

 private:
  UniqueFd pidfd_;
};

}  // namespace kiln
