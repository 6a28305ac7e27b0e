#include "util/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace kiln {
namespace {

class SpawnFileActions {
 public:
  SpawnFileActions() {
    if (int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0)
      throw Error(std::string("posix_spawn_file_actions_init: ") + std::strerror(rc), 1, rc);
  }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

class SpawnAttr {
 public:
  SpawnAttr() {
    if (int rc = ::posix_spawnattr_init(&attr_); rc != 0)
      throw Error(std::string("posix_spawnattr_init: ") + std::strerror(rc), 1, rc);
  }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() { ::posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_{};
};

// posix_spawn takes char* const[]: pointers into strings that we own.
std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void check(int rc, const char* what) {
  if (rc != 0) throw Error(std::string(what) + ": " + std::strerror(rc), 1, rc);
}

}  // namespace

pid_t spawn_process(const SpawnRequest& request) {
  if (request.argv.empty()) throw Error("spawn: empty argv");
  SpawnFileActions actions;
  for (int fd = 0; fd < 3; ++fd) {
    // glibc clears FD_CLOEXEC when the source already is the target.
    check(::posix_spawn_file_actions_adddup2(actions.get(), request.stdio[fd], fd),
          "posix_spawn_file_actions_adddup2");
  }
  if (request.cwd) {
    check(::posix_spawn_file_actions_addchdir_np(actions.get(), request.cwd->c_str()),
          "posix_spawn_file_actions_addchdir_np");
  }
  SpawnAttr attr;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  check(::posix_spawnattr_setsigdefault(attr.get(), &defaults), "posix_spawnattr_setsigdefault");
  check(::posix_spawnattr_setpgroup(attr.get(), 0), "posix_spawnattr_setpgroup");
  check(::posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF),
        "posix_spawnattr_setflags");
  std::vector<std::string> argv_copy = request.argv;
  std::vector<std::string> env_copy = request.env;
  std::vector<char*> argv = c_strings(argv_copy);
  std::vector<char*> env = c_strings(env_copy);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], actions.get(), attr.get(), argv.data(), env.data());
  if (rc == 0) return pid;
  // The child reports one errno for whichever action failed: a directory
  // that cannot be entered is told apart by trying it here.
  if (request.cwd && ::access(request.cwd->c_str(), X_OK) != 0) {
    int err = errno;
    throw Error("chdir '" + *request.cwd + "' for '" + request.argv[0] + "': " + std::strerror(err),
                126, err);
  }
  throw Error("exec '" + request.argv[0] + "': " + std::strerror(rc), 127, rc);
}

}  // namespace kiln
