#include "util/cli_main.hpp"

#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstdio>
#include <exception>

#include "util/args.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

void print(int fd, const std::string& s) {
  try {
    write_all(fd, s, fd == 1 ? "stdout" : "stderr");
  } catch (...) {  // NOLINT(bugprone-empty-catch): nowhere left to report
  }
}

std::string indent_detail(const std::string& detail) {
  std::string out;
  for (const auto& line : split(detail, '\n')) {
    if (!line.empty()) out += "  " + line + "\n";
  }
  return out;
}

}  // namespace

std::string program_help(const Program& p) {
  std::string h = "Usage: " + p.name + " [--json] [-v] COMMAND [ARGS...]\n\n" + p.summary + "\n\nCommands:\n";
  for (const auto& c : p.commands) {
    std::string left = "  " + c.name;
    left.resize(std::max<size_t>(left.size() + 2, 18), ' ');
    h += left + c.summary + "\n";
  }
  h += "\nGlobal options:\n"
       "  --json          Print events as JSON lines (step, status, duration_ms)\n"
       "  -v, --verbose   Show debug messages\n"
       "  --version       Print the version and exit\n"
       "  -h, --help      Show this help and exit\n"
       "\nRun '" + p.name + " COMMAND --help' for a command's options.\n";
  if (!p.epilog.empty()) h += "\n" + p.epilog + (p.epilog.ends_with('\n') ? "" : "\n");
  return h;
}

int run_program(const Program& p, int argc, char** argv) {
  // UTF-8 character handling (libarchive path names) without
  // locale-dependent formatting of anything else.
  if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) std::setlocale(LC_CTYPE, "C.utf8");
  std::vector<std::string> args(argv + 1, argv + argc);
  GlobalOptions global;
  size_t i = 0;
  try {
    for (; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--json") {
        global.json = true;
      } else if (a == "-v" || a == "--verbose") {
        global.verbose = true;
      } else if (a == "--help" || a == "-h") {
        print(1, program_help(p));
        return 0;
      } else if (a == "--version") {
        print(1, p.name + " " + p.version + "\n");
        return 0;
      } else if (a.starts_with("-")) {
        throw Error(p.name + ": unknown option '" + a + "' (see '" + p.name + " --help')", kExitUsage);
      } else {
        break;
      }
    }
    if (i == args.size()) {
      throw Error(p.name + ": no command given (see '" + p.name + " --help')", kExitUsage);
    }
    const std::string& name = args[i];
    auto it = std::find_if(p.commands.begin(), p.commands.end(),
                           [&](const Command& c) { return c.name == name; });
    if (it == p.commands.end()) {
      std::vector<std::string> names;
      for (const auto& c : p.commands) names.push_back(c.name);
      std::string hint = closest_match(name, names);
      throw Error(p.name + ": unknown command '" + name + "'" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?") + " (see '" + p.name +
                      " --help')",
                  kExitUsage);
    }
    if (global.json) {
      set_event_sink(make_json_sink(1, global.verbose));
    } else {
      set_event_sink(make_terminal_sink(2, global.verbose));
    }
    install_interrupt_handlers();
    std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    return it->run(rest, global);
  } catch (const Error& e) {
    std::string msg = e.what();
    // Usage errors already start with the program name.
    if (!msg.starts_with(p.name + ":") && !msg.starts_with(p.name + " ")) {
      msg = p.name + ": error: " + msg;
    }
    print(2, msg + "\n" + indent_detail(e.detail()));
    return e.exit_code();
  } catch (const std::exception& e) {
    print(2, p.name + ": internal error: " + e.what() + "\n");
    return 1;
  }
}

}  // namespace kiln
