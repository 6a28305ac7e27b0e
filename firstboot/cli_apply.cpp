// kiln-firstboot apply: applies a seed directory to a root (offline mode for
// image authors and tests).
#include <cstdio>

#include "firstboot/cli_common.hpp"
#include "firstboot/commands.hpp"
#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {
namespace {

ArgParser apply_parser() {
  ArgParser p("kiln-firstboot apply", "--seed DIR [--root DIR] [--no-start] [OPTIONS]",
              "Validate a NoCloud seed directory and apply it to ROOT as if ROOT were /.\n"
              "Invalid data applies nothing. With a ROOT other than /, --no-start is required.");
  p.option("seed", 0, "DIR", "The seed: user-data, meta-data, optional network-config");
  add_agent_options(p);
  p.flag("journal", 0, "Also send step events to the systemd journal");
  p.epilog("Exit codes: 0 ok, 1 a step failed, 2 invalid data (or usage error).");
  return p;
}

int run_apply(const std::vector<std::string>& args, const GlobalOptions& global) {
  ArgParser parser = apply_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  auto seed_dir = a.get("seed");
  if (!seed_dir) {
    throw Error(
        parser.program() + ": --seed DIR is required (see '" + parser.program() + " --help')",
        kExitUsage);
  }
  AgentOptions o = agent_options(a);
  if (o.start && absolute_path(o.root) != "/") {
    throw Error(parser.program() + ": --root " + o.root +
                    " is not the running system; add --no-start (see '" + parser.program() +
                    " --help')",
                kExitUsage);
  }
  SeedData seed;
  try {
    seed = read_seed_dir(*seed_dir, *seed_dir);
  } catch (Error& e) {
    e.set_exit_code(kExitInvalidData);
    throw;
  }
  Reporter reporter({status_path(a, o.root), a.has("journal")});
  return run_and_report(seed, o, reporter, global);
}

}  // namespace

Command apply_command() {
  return {"apply", "Apply a seed directory to a root (offline; tests and image authors)",
          run_apply};
}

}  // namespace kiln::firstboot
