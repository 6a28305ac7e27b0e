// The shared shape of kiln's programs: global flags, a command table,
// one-line usage errors with hints, and the single place that prints errors.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace kiln {

struct GlobalOptions {
  bool json = false;     // --json: events as JSON lines on stdout
  bool verbose = false;  // -v: debug messages
};

struct Command {
  std::string name;
  std::string summary;
  // Receives the arguments after the command name.
  std::function<int(const std::vector<std::string>& args, const GlobalOptions& global)> run;
};

struct Program {
  std::string name;     // "kiln"
  std::string version;  // "0.1.0"
  std::string summary;  // one line
  std::vector<Command> commands;
  std::string epilog;  // appended to --help
};

// Parses global flags, dispatches to a command, installs the event sink and
// interrupt handlers, and turns a kiln::Error into one line on stderr plus its
// detail, returning the error's exit code.
int run_program(const Program& program, int argc, char** argv);

std::string program_help(const Program& program);

}  // namespace kiln
