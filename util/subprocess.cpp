#include "util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include <sys/wait.h>

#include "util/cancel.hpp"
#include "util/child_exit.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/spawn.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> build_env(const RunOptions& o) {
  std::map<std::string, std::string> vars;
  if (!o.clear_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view kv = *e;
      size_t eq = kv.find('=');
      if (eq != std::string_view::npos) vars[std::string(kv.substr(0, eq))] = std::string(kv);
    }
  }
  for (const auto& kv : o.env) {
    size_t eq = kv.find('=');
    vars[kv.substr(0, eq)] = kv;
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (auto& [k, v] : vars) out.push_back(std::move(v));
  return out;
}

std::string describe_end(const RunResult& r, const RunOptions& o) {
  if (r.cancelled) return "interrupted";
  if (r.timed_out) {
    return "timed out after " + human_duration_ms(o.timeout.count());
  }
  if (r.signaled()) return std::string("killed by signal ") + ::sigabbrev_np(r.signal);
  return "exit status " + std::to_string(r.exit_status);
}

void pipe_cloexec(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("create pipe", "subprocess");
}

// The last 64 KiB of a log file.
std::string read_log_tail(int fd, const std::string& name) {
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) return {};
  off_t from = size > 65536 ? size - 65536 : 0;
  UniqueFd reader = open_file(name, O_RDONLY);
  if (::lseek(reader.get(), from, SEEK_SET) < 0) return {};
  return read_fd(reader.get(), name, 65536 + 1);
}

}  // namespace

std::string shell_quote(const std::string& word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (char c : word) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 ||
          std::strchr("@%+=:,./-_", c) != nullptr)) {
      safe = false;
      break;
    }
  }
  if (safe) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::vector<std::string> q;
  q.reserve(argv.size());
  for (const auto& a : argv) q.push_back(shell_quote(a));
  return join(q, " ");
}

std::string tail_lines(const std::string& text, size_t n) {
  if (n == 0) return {};
  std::string_view t = text;
  while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  size_t pos = t.size();
  for (size_t i = 0; i < n; ++i) {
    size_t nl = t.rfind('\n', pos == 0 ? 0 : pos - 1);
    if (nl == std::string_view::npos || pos == 0) return std::string(t);
    pos = nl;
  }
  return std::string(t.substr(pos + 1));
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  for (const auto& dir : split(p, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) throw Error("run: empty argv");
  const std::string quoted = shell_quote(argv);
  if (!find_program(argv[0])) {
    throw Error("run '" + argv[0] + "': command not found", 127, ENOENT);
  }

  UniqueFd log_fd;
  if (options.log_path) {
    log_fd = open_file(*options.log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  }
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  pipe_cloexec(in_pipe);
  UniqueFd in_r(in_pipe[0]);
  UniqueFd in_w(in_pipe[1]);
  // Non-blocking, so a child that fills its output pipe before reading all
  // of its input cannot deadlock against us.
  ::fcntl(in_w.get(), F_SETFL, ::fcntl(in_w.get(), F_GETFL) | O_NONBLOCK);
  pipe_cloexec(out_pipe);
  UniqueFd out_r(out_pipe[0]);
  UniqueFd out_w(out_pipe[1]);
  pipe_cloexec(err_pipe);
  UniqueFd err_r(err_pipe[0]);
  UniqueFd err_w(err_pipe[1]);

  SpawnRequest spawn;
  spawn.argv = argv;
  spawn.env = build_env(options);
  spawn.cwd = options.cwd;
  // With a log, both streams go straight into it, in the order they were
  // written.
  spawn.stdio = {in_r.get(), log_fd ? log_fd.get() : out_w.get(),
                 log_fd ? log_fd.get() : err_w.get()};
  pid_t pid = spawn_process(spawn);
  const ChildExitWatch exit_watch(pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();

  RunResult result;
  std::string_view pending_in = options.stdin_data;
  if (pending_in.empty()) in_w.reset();
  const auto deadline = Clock::now() + options.timeout;
  bool stop = false;

  auto on_chunk = [&](bool is_err, const char* data, size_t n) {
    std::string_view chunk(data, n);
    if (options.capture) {
      (is_err ? result.err : result.out).append(chunk);
    }
    if (options.on_output) options.on_output(chunk);
  };

  while ((out_r || err_r || in_w) && !stop) {
    std::vector<pollfd> fds;
    if (out_r) fds.push_back({out_r.get(), POLLIN, 0});
    if (err_r) fds.push_back({err_r.get(), POLLIN, 0});
    if (in_w) fds.push_back({in_w.get(), POLLOUT, 0});
    int wait_ms = 100;
    int rc = ::poll(fds.data(), fds.size(), wait_ms);
    if (rc < 0 && errno != EINTR) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw_errno("poll", quoted);
    }
    if (interrupted()) {
      result.cancelled = true;
      stop = true;
    } else if (options.timeout.count() > 0 && Clock::now() >= deadline) {
      result.timed_out = true;
      stop = true;
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (in_w && p.fd == in_w.get()) {
        ssize_t n = ::write(in_w.get(), pending_in.data(), pending_in.size());
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
          in_w.reset();  // child closed stdin; that is its business
        } else if (n > 0) {
          pending_in.remove_prefix(static_cast<size_t>(n));
          if (pending_in.empty()) in_w.reset();
        }
        continue;
      }
      char buf[65536];
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      bool is_err = err_r && p.fd == err_r.get();
      if (n <= 0) {
        (is_err ? err_r : out_r).reset();
        continue;
      }
      on_chunk(is_err, buf, static_cast<size_t>(n));
    }
  }

  // Output is closed (or we are stopping); wait for the exit. A stopped run
  // asks the whole process group to terminate, then kills it after a grace
  // period.
  int status = 0;
  std::optional<Clock::time_point> term_sent;
  bool killed = false;
  while (true) {
    if (stop && !term_sent) {
      ::kill(-pid, SIGTERM);
      term_sent = Clock::now();
    }
    if (term_sent && !killed && Clock::now() - *term_sent > std::chrono::seconds(2)) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      if (!stop) ::kill(-pid, SIGKILL);
      throw_errno("wait for", quoted);
    }
    if (!stop) {
      if (interrupted()) {
        result.cancelled = true;
        stop = true;
        continue;
      }
      if (options.timeout.count() > 0 && Clock::now() >= deadline) {
        result.timed_out = true;
        stop = true;
        continue;
      }
    }
    // Wake at the child's exit, in time for the deadline or the end of the
    // grace period, and at least every 100 ms to notice a cancellation.
    auto next = std::chrono::milliseconds(100);
    auto until = [&](Clock::time_point t) {
      next = std::min(next, std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()));
    };
    if (!stop && options.timeout.count() > 0) until(deadline);
    if (term_sent && !killed) until(*term_sent + std::chrono::seconds(2));
    exit_watch.sleep(next);
  }
  // Leftovers of the group (daemons that kept no pipe open) go too.
  if (stop) ::kill(-pid, SIGKILL);
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }

  if (result.cancelled) throw Error("interrupted while running: " + quoted, kExitInterrupted);
  if (options.check && !result.ok()) {
    Error e("command failed (" + describe_end(result, options) + "): " + quoted, 1);
    std::string text = log_fd ? read_log_tail(log_fd.get(), *options.log_path)
                              : (result.err.empty() ? result.out : result.err);
    std::string tail = tail_lines(text, options.tail_lines);
    if (!tail.empty()) e.set_detail(tail);
    throw e;
  }
  return result;
}

}  // namespace kiln
