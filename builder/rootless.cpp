#include "builder/rootless.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <sys/wait.h>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

std::string user_name(uid_t uid) {
  struct passwd pw {};
  struct passwd* out = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out != nullptr) return pw.pw_name;
  return std::to_string(uid);
}

SubordinateRange range_from(const std::string& file, const std::string& user, unsigned long id) {
  auto text = read_file_if_exists(file, 4 << 20);
  SubordinateRange r = text ? find_subordinate_range(*text, user, id) : SubordinateRange{};
  if (r.count < 65536) {
    throw Error("rootless build: user '" + user + "' needs at least 65536 subordinate ids in " +
                file + " (for example: usermod --add-subuids 100000-165535 --add-subgids " +
                "100000-165535 " + user + "), or run kiln build as root");
  }
  return r;
}

void write_byte(int fd, char c) {
  while (::write(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

char read_byte(int fd) {
  char c = 0;
  ssize_t n;
  do {
    n = ::read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? c : '\0';
}

std::vector<std::string> own_cmdline() {
  std::string raw = read_file("/proc/self/cmdline", 1 << 20);
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\0') {
      argv.push_back(raw.substr(start, i - start));
      start = i + 1;
    }
  }
  return argv;
}

}  // namespace

bool in_rootless_namespace() {
  const char* v = std::getenv(kRootlessEnv);
  return v != nullptr && std::string(v) == "1" && ::geteuid() == 0;
}

SubordinateRange find_subordinate_range(const std::string& text, const std::string& user,
                                        unsigned long id) {
  for (const auto& line : split(text, '\n')) {
    auto f = split(std::string(trim(line)), ':');
    if (f.size() != 3 || (f[0] != user && f[0] != std::to_string(id))) continue;
    try {
      return {std::stoul(f[1]), std::stoul(f[2])};
    } catch (...) {  // NOLINT(bugprone-empty-catch): a malformed line is skipped
    }
  }
  return {};
}

int reexec_rootless() {
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  const std::string user = user_name(uid);
  SubordinateRange uids = range_from("/etc/subuid", user, uid);
  SubordinateRange gids = range_from("/etc/subgid", user, uid);
  for (const char* tool : {"newuidmap", "newgidmap"}) {
    if (!find_program(tool)) {
      throw Error(std::string("rootless build: ") + tool +
                  " is not installed (apt-get install uidmap), or run kiln build as root");
    }
  }
  std::vector<std::string> argv = own_cmdline();
  std::vector<char*> cargv;
  for (auto& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);

  int to_parent[2];
  int to_child[2];
  if (::pipe2(to_parent, O_CLOEXEC) != 0 || ::pipe2(to_child, O_CLOEXEC) != 0) {
    throw_errno("create pipe", "rootless re-exec");
  }
  UniqueFd parent_r(to_parent[0]);
  UniqueFd child_w(to_parent[1]);
  UniqueFd child_r(to_child[0]);
  UniqueFd parent_w(to_child[1]);

  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", "rootless re-exec");
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      write_byte(child_w.get(), 'e');
      ::_exit(1);
    }
    write_byte(child_w.get(), 'u');
    if (read_byte(child_r.get()) != 'm') ::_exit(1);
    if (::setresgid(0, 0, 0) != 0 || ::setgroups(0, nullptr) != 0 || ::setresuid(0, 0, 0) != 0) {
      ::_exit(1);
    }
    ::setenv(kRootlessEnv, "1", 1);
    ::execv("/proc/self/exe", cargv.data());
    ::_exit(127);
  }
  child_w.reset();
  child_r.reset();
  auto abandon = [&](const std::string& why, int err) {
    parent_w.reset();  // the child sees EOF and exits
    ::waitpid(pid, nullptr, 0);
    throw Error("rootless build: " + why, 1, err);
  };
  if (read_byte(parent_r.get()) != 'u') {
    abandon("cannot create a user namespace (are unprivileged user namespaces disabled?)", EPERM);
  }
  const std::string p = std::to_string(pid);
  RunOptions quiet;
  try {
    run({"newuidmap", p, "0", std::to_string(uid), "1", "1", std::to_string(uids.start),
         std::to_string(uids.count)},
        quiet);
    run({"newgidmap", p, "0", std::to_string(gid), "1", "1", std::to_string(gids.start),
         std::to_string(gids.count)},
        quiet);
  } catch (const Error& e) {
    abandon(
        std::string(e.what()) + (e.detail().empty() ? "" : ": " + std::string(trim(e.detail()))),
        e.err());
  }
  write_byte(parent_w.get(), 'm');
  parent_w.reset();

  bool forwarded = false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for", "the rootless build");
    if (interrupted() && !forwarded) {
      ::kill(pid, SIGINT);
      forwarded = true;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace kiln
