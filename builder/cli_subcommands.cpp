#include "builder/cli_subcommands.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "util/args.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

std::string help_text(const SubcommandGroup& group) {
  size_t width = 0;
  for (const auto& s : group.subcommands) width = std::max(width, std::strlen(s.name));
  std::string h = std::string("Usage: kiln ") + group.name + " COMMAND [ARGS...]\n\n" +
                  group.description + "\n\nCommands:\n";
  for (const auto& s : group.subcommands) {
    std::string left = std::string("  ") + s.name;
    left.resize(width + 4, ' ');
    h += left + s.summary + "\n";
  }
  return h + "\nRun 'kiln " + group.name + " COMMAND --help' for a command's options.\n";
}

// "up, status or down"
std::string spoken_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

int run_subcommand(const SubcommandGroup& group, const std::vector<std::string>& args,
                   const GlobalOptions& global) {
  const std::string shown = std::string("kiln ") + group.name;
  const std::string see = "see '" + shown + " --help'";
  std::vector<std::string> names;
  for (const auto& s : group.subcommands) names.emplace_back(s.name);
  if (args.empty()) {
    throw Error(shown + ": no command given (" + spoken_list(names) + "; " + see + ")", kExitUsage);
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(help_text(group).c_str(), stdout);
    return 0;
  }
  for (const auto& s : group.subcommands) {
    if (args[0] == s.name) return s.run({args.begin() + 1, args.end()}, global);
  }
  std::string hint = closest_match(args[0], names);
  throw Error(shown + ": unknown command '" + args[0] + "'" +
                  (hint.empty() ? "" : "; did you mean '" + hint + "'?") + " (" + see + ")",
              kExitUsage);
}

}  // namespace kiln
