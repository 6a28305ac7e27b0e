// Starting a child process with posix_spawn: glibc clones with CLONE_VM |
// CLONE_VFORK, so neither the parent's page tables are copied nor does the
// parent take a copy-on-write fault on each page it writes afterwards, which
// a fork() of a large process pays for (dearly under emulation).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace kiln {

struct SpawnRequest {
  std::vector<std::string> argv;      // argv[0] is looked up in PATH
  std::vector<std::string> env;       // the child's whole environment
  std::array<int, 3> stdio{0, 1, 2};  // become the child's fds 0, 1 and 2
  std::optional<std::string> cwd;
};

// The child runs in a process group of its own (so it can be stopped with
// its descendants) with SIGPIPE, SIGINT and SIGTERM at their defaults.
// Throws when it cannot start: "chdir 'DIR' for 'PROG': reason" (exit 126)
// or "exec 'PROG': reason" (exit 127).
pid_t spawn_process(const SpawnRequest& request);

}  // namespace kiln
