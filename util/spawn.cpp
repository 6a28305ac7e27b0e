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

void check(int rc, const char* what) {
  if (rc != 0) throw Error(std::string(what) + ": " + std::strerror(rc), 1, rc);
}

// posix_spawn's option objects: initialised in place, destroyed with the scope.
template <typename T, int (*Init)(T*), int (*Destroy)(T*)>
class SpawnOptions {
 public:
  explicit SpawnOptions(const char* init_name) { check(Init(&value_), init_name); }
  SpawnOptions(const SpawnOptions&) = delete;
  SpawnOptions& operator=(const SpawnOptions&) = delete;
  ~SpawnOptions() { Destroy(&value_); }
  T* get() { return &value_; }

 private:
  T value_{};
};

using SpawnFileActions = SpawnOptions<posix_spawn_file_actions_t, ::posix_spawn_file_actions_init,
                                      ::posix_spawn_file_actions_destroy>;
using SpawnAttr =
    SpawnOptions<posix_spawnattr_t, ::posix_spawnattr_init, ::posix_spawnattr_destroy>;

// posix_spawn takes char* const[]: pointers into strings that we own.
std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

pid_t spawn_process(const SpawnRequest& request) {
  if (request.argv.empty()) throw Error("spawn: empty argv");
  SpawnFileActions actions("posix_spawn_file_actions_init");
  for (int fd = 0; fd < 3; ++fd) {
    // glibc clears FD_CLOEXEC when the source already is the target.
    check(::posix_spawn_file_actions_adddup2(actions.get(), request.stdio[fd], fd),
          "posix_spawn_file_actions_adddup2");
  }
  if (request.cwd) {
    check(::posix_spawn_file_actions_addchdir_np(actions.get(), request.cwd->c_str()),
          "posix_spawn_file_actions_addchdir_np");
  }
  SpawnAttr attr("posix_spawnattr_init");
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
