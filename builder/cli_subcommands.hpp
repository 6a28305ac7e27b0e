// Commands with subcommands (`kiln airgap verify`, `kiln cluster up`): one
// dispatcher, so help, "no command given" and "unknown command" read the
// same everywhere.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "util/cli_main.hpp"

namespace kiln {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args, const GlobalOptions& global);
};

struct SubcommandGroup {
  const char* name;         // "airgap": shown as "kiln airgap"
  const char* description;  // one sentence for --help
  std::span<const Subcommand> subcommands;
};

// Runs the subcommand args[0] names with the rest of args; prints the
// group's help for --help/-h. Usage errors throw with exit status 2.
int run_subcommand(const SubcommandGroup& group, const std::vector<std::string>& args,
                   const GlobalOptions& global);

}  // namespace kiln
