// A small command-line parser: long and short options, flags, positionals,
// generated help. Every misuse is one line, with a hint, as an Error whose
// exit code is kExitUsage; the full help is printed only when asked for.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

constexpr int kExitUsage = 2;

class ParsedArgs {
 public:
  [[nodiscard]] bool has(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  [[nodiscard]] std::string get_or(const std::string& name, const std::string& fallback) const;
  [[nodiscard]] std::vector<std::string> all(const std::string& name) const;
  // Parses an option's value as an integer within [min, max].
  [[nodiscard]] std::optional<long long> get_int(const std::string& name, long long min,
                                                 long long max) const;
  [[nodiscard]] const std::vector<std::string>& positionals() const { return positionals_; }
  [[nodiscard]] bool help_requested() const { return help_; }

 private:
  friend class ArgParser;
  std::string program_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

class ArgParser {
 public:
  ArgParser(std::string program, std::string usage, std::string summary);

  ArgParser& flag(std::string name, char short_name, std::string help);
  ArgParser& option(std::string name, char short_name, std::string value_name, std::string help,
                    bool repeatable = false);
  ArgParser& positional(std::string name, std::string help, size_t min = 1, size_t max = 1);
  // Free text appended to the help (examples, exit codes).
  ArgParser& epilog(std::string text);

  [[nodiscard]] ParsedArgs parse(const std::vector<std::string>& args) const;
  [[nodiscard]] std::string help() const;
  [[nodiscard]] const std::string& program() const { return program_; }

 private:
  struct Option {
    std::string name;
    char short_name;
    std::string value_name;  // empty for a flag
    std::string help;
    bool repeatable;
  };
  struct Positional {
    std::string name;
    std::string help;
    size_t min;
    size_t max;
  };
  [[nodiscard]] const Option* find_long(const std::string& name) const;
  [[nodiscard]] const Option* find_short(char c) const;
  [[noreturn]] void usage_error(const std::string& message) const;

  std::string program_;
  std::string usage_;
  std::string summary_;
  std::string epilog_;
  std::vector<Option> options_;
  std::vector<Positional> positionals_;
};

}  // namespace kiln
