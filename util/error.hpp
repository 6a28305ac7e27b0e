// The one error type: a one-line message worded "verb 'path': reason", the
// errno that caused it (0 when none), an exit code chosen by the layer that
// knows what failed, optional multi-line detail (a command's log tail), and
// context added as the error travels up ("while applying overlay 'cis'").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

class Error : public std::exception {
 public:
  explicit Error(std::string message, int exit_code = 1, int err = 0);

  // "open 'path': No such file or directory" from the current errno.
  static Error from_errno(std::string_view verb, std::string_view path, int err);

  [[nodiscard]] const char* what() const noexcept override { return rendered_.c_str(); }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] int err() const { return errno_; }
  [[nodiscard]] int exit_code() const { return exit_code_; }
  [[nodiscard]] const std::vector<std::string>& context() const { return context_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }

  // Context is listed innermost first: "msg, while a, while b".
  Error& add_context(std::string context);
  Error& set_detail(std::string detail);
  Error& set_exit_code(int code);

 private:
  void render();

  std::string message_;
  int exit_code_;
  int errno_;
  std::vector<std::string> context_;
  std::string detail_;
  std::string rendered_;
};

// Throws Error::from_errno with the current errno.
[[noreturn]] void throw_errno(std::string_view verb, std::string_view path);
[[noreturn]] void throw_errno(std::string_view verb, std::string_view path, int err);

// Runs fn; any kiln::Error escaping it gains `context` on its way up.
template <typename Fn>
decltype(auto) with_context(std::string_view context, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (Error& e) {
    e.add_context(std::string(context));
    throw;
  }
}

}  // namespace kiln
