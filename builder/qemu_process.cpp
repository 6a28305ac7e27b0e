#include "builder/qemu_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <sys/wait.h>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int status = 0;
  bool reaped = false;
};

// With `out_fd` < 0 the child keeps this terminal (interactive runs) and
// stays in its process group; otherwise it gets its own group, so stopping
// it reaches anything it started.
pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& s : args) c_args.push_back(s.data());
  c_args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork for", argv[0]);
  if (pid == 0) {
    if (out_fd >= 0) ::setpgid(0, 0);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    if (out_fd >= 0) {
      int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd >= 0) ::dup2(null_fd, 0);
      ::dup2(out_fd, 1);
      ::dup2(out_fd, 2);
    }
    ::execvp(c_args[0], c_args.data());
    std::string msg = "exec '" + argv[0] + "': " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  if (out_fd >= 0) ::setpgid(pid, pid);
  return pid;
}

// Asks QEMU to quit, then kills it (and anything in its group).
void stop(Child& c) {
  if (c.reaped) return;
  ::kill(-c.pid, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline) {
    if (::waitpid(c.pid, &c.status, WNOHANG) == c.pid) {
      c.reaped = true;
      return;
    }
    ::usleep(20'000);
  }
  ::kill(-c.pid, SIGKILL);
  while (::waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
  }
  c.reaped = true;
}

// Kills QEMU if an exception leaves run_guest early.
class ChildGuard {
 public:
  explicit ChildGuard(Child& c) : c_(c) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() { stop(c_); }

 private:
  Child& c_;
};

std::string strip_escapes(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\x1b') {
      // CSI: ESC [ params final-byte
      if (i + 1 < in.size() && in[i + 1] == '[') {
        i += 2;
        while (i < in.size() && !(in[i] >= '@' && in[i] <= '~')) ++i;
      }
      continue;
    }
    if (c == '\r') continue;
    out += c;
  }
  return out;
}

}  // namespace

GuestRun run_guest(const std::vector<std::string>& argv, const std::string& console_log,
                   const GuestWatch& watch) {
  if (!find_program(argv.at(0))) {
    throw Error("run '" + argv[0] + "': command not found; install qemu-system-x86", 127, ENOENT);
  }
  UniqueFd console = open_file(console_log, O_RDONLY | O_CREAT | O_TRUNC, 0600);
  std::string qemu_log = watch.qemu_log.empty() ? console_log + ".qemu" : watch.qemu_log;
  UniqueFd log_fd = open_file(qemu_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  GuestRun result;
  const auto start = Clock::now();
  Child child;
  child.pid = spawn(argv, log_fd.get());
  ChildGuard guard(child);

  // The console is searched across read boundaries: keep the tail of what
  // was read, one byte shorter than the marker.
  std::string window;
  const size_t keep = watch.marker ? watch.marker->size() : 0;
  off_t pos = 0;
  char buf[65536];
  bool done = false;
  auto read_console = [&] {
    while (true) {
      ssize_t n = ::pread(console.get(), buf, sizeof buf, pos);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      pos += n;
      std::string_view chunk(buf, static_cast<size_t>(n));
      if (watch.on_console) watch.on_console(chunk);
      if (watch.marker) {
        window.append(chunk);
        if (window.find(*watch.marker) != std::string::npos) {
          result.outcome = GuestOutcome::MarkerSeen;
          done = true;
          return;
        }
        if (window.size() >= keep) window.erase(0, window.size() - (keep - 1));
      }
    }
  };

  while (!done) {
    read_console();
    if (done) break;
    if (::waitpid(child.pid, &child.status, WNOHANG) == child.pid) {
      child.reaped = true;
      read_console();  // what it printed last
      if (done) break;
      if (WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0) {
        result.outcome = GuestOutcome::PoweredOff;
        result.qemu_status = 0;
      } else {
        result.outcome = GuestOutcome::QemuFailed;
        if (WIFEXITED(child.status)) result.qemu_status = WEXITSTATUS(child.status);
        if (WIFSIGNALED(child.status)) result.qemu_signal = WTERMSIG(child.status);
      }
      break;
    }
    if (interrupted()) {
      stop(child);
      throw Error("interrupted while running: " + shell_quote(argv), kExitInterrupted);
    }
    if (watch.timeout.count() > 0 && Clock::now() - start >= watch.timeout) {
      result.outcome = GuestOutcome::TimedOut;
      break;
    }
    ::usleep(50'000);
  }
  stop(child);
  result.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  result.qemu_output_tail = tail_lines(read_file(qemu_log, 16 << 20), 20);
  return result;
}

int run_guest_interactive(const std::vector<std::string>& argv) {
  if (!find_program(argv.at(0))) {
    throw Error("run '" + argv[0] + "': command not found; install qemu-system-x86", 127, ENOENT);
  }
  // QEMU puts the terminal in raw mode: Ctrl-C goes to the guest and
  // Ctrl-A X quits. kiln just waits.
  Child child;
  child.pid = spawn(argv, -1);
  struct sigaction ignore {};
  struct sigaction old_int {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  while (::waitpid(child.pid, &child.status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  if (WIFEXITED(child.status)) return WEXITSTATUS(child.status);
  return 128 + WTERMSIG(child.status);
}

std::string console_tail(const std::string& console_log, size_t n) {
  auto text = read_file_if_exists(console_log, 64ULL << 20);
  if (!text) return {};
  return tail_lines(strip_escapes(*text), n);
}

}  // namespace kiln
