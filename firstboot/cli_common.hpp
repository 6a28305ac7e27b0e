// What `apply` and `run` share on the command line: the apply options and
// how the outcome is printed.
#pragma once

#include <string>

#include "firstboot/agent.hpp"
#include "firstboot/reporter.hpp"
#include "util/args.hpp"
#include "util/cli_main.hpp"

namespace kiln::firstboot {

// --root, --no-start, --skip-commands, --force, --status, --wait-ready,
// --wait-timeout, --ready-url.
void add_agent_options(ArgParser& p);
AgentOptions agent_options(const ParsedArgs& a);
std::string status_path(const ParsedArgs& a, const std::string& root);

// Runs the agent, prints the outcome (errors of invalid data on stderr, the
// summary on stdout) and returns the exit code.
int run_and_report(const SeedData& seed, const AgentOptions& options, Reporter& reporter,
                   const GlobalOptions& global);
// Prints the summary line (or a JSON result event with --json).
void print_summary(const Reporter& reporter, int exit_code, const GlobalOptions& global);

}  // namespace kiln::firstboot
