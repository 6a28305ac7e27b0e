// Runs a program from an argv vector (never a shell string), with captured
// output, an optional timeout and cooperative cancellation. A failure reports
// the shell-quoted command and how it ended.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct RunOptions {
  std::optional<std::string> cwd;
  // Extra "KEY=VALUE" entries; they override inherited ones.
  std::vector<std::string> env;
  // Start from an empty environment (plus `env`) instead of inheriting.
  bool clear_env = false;
  std::string stdin_data;
  // 0 means no limit.
  std::chrono::milliseconds timeout{0};
  // When set, stdout and stderr go straight to this file (appended, in
  // order) instead of being captured or passed to on_output, and the file's
  // tail is attached to a failure.
  std::optional<std::string> log_path;
  // Capture stdout/stderr into the result (ignored when log_path is set).
  bool capture = true;
  // Throw kiln::Error when the command does not exit 0.
  bool check = true;
  // Called with each chunk of output as it arrives (after capture/log).
  std::function<void(std::string_view)> on_output;
  // Lines of output tail attached to a failure.
  size_t tail_lines = 20;
};

struct RunResult {
  int exit_status = -1;  // valid when !signaled
  int signal = 0;        // signal that ended the process, 0 if none
  bool timed_out = false;
  bool cancelled = false;
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return !signaled() && exit_status == 0 && !timed_out; }
  [[nodiscard]] bool signaled() const { return signal != 0; }
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Quotes one word / a whole argv the way a POSIX shell would read it back.
std::string shell_quote(const std::string& word);
std::string shell_quote(const std::vector<std::string>& argv);

// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, size_t n);

// Looks a program up in PATH; nullopt if absent.
std::optional<std::string> find_program(const std::string& name);

}  // namespace kiln
