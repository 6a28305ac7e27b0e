#include "firstboot/cli_common.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "firstboot/limits.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {

void add_agent_options(ArgParser& p) {
  p.option("root", 0, "DIR", "Apply to this directory as if it were / (default: /)");
  p.flag("no-start", 0, "Do not talk to systemd: no reload, no role start");
  p.flag("skip-commands", 0, "Do not run bootcmd and runcmd (recorded as skipped)");
  p.flag("force", 0, "Apply even if this instance was applied before");
  p.option("status", 0, "FILE", "Where to write the status (default: ROOT/run/kiln/status.json)");
  p.flag("wait-ready", 0,
         "After starting the role, wait until it is ready (servers: /ping answers)");
  p.option("wait-timeout", 0, "SECONDS", "How long --wait-ready waits (default: 600)");
  p.option("ready-url", 0, "URL",
           "The supervisor's ping URL (default: https://127.0.0.1:9345/ping)");
}

std::string status_path(const ParsedArgs& a, const std::string& root) {
  if (auto s = a.get("status")) return absolute_path(*s);
  return normalize_path(absolute_path(root) + "/run/kiln/status.json");
}

AgentOptions agent_options(const ParsedArgs& a) {
  AgentOptions o;
  o.root = a.get_or("root", "/");
  o.start = !a.has("no-start");
  o.run_commands = !a.has("skip-commands");
  o.force = a.has("force");
  o.wait_ready = a.has("wait-ready");
  if (auto t = a.get_int("wait-timeout", 1, 86400)) o.wait_timeout = std::chrono::seconds(*t);
  o.ready_url = a.get_or("ready-url", o.ready_url);
  return o;
}

void print_summary(const Reporter& reporter, int exit_code, const GlobalOptions& global) {
  if (global.json) {
    nlohmann::json j = {
        {"event", "result"}, {"exit_code", exit_code}, {"summary", reporter.summary()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", reporter.summary().c_str());
  }
  std::fflush(stdout);
}

int run_and_report(const SeedData& seed, const AgentOptions& options, Reporter& reporter,
                   const GlobalOptions& global) {
  int code = 0;
  try {
    code = run_agent(seed, options, reporter);
  } catch (Error& e) {
    // The status says how the run ended even when it ended early.
    reporter.error(e.what());
    reporter.finish(e.exit_code() == kExitInterrupted ? "interrupted" : "failed", e.exit_code());
    throw;
  }
  if (code == kExitInvalidData) {
    for (const auto& e : reporter.errors()) std::fprintf(stderr, "%s\n", e.c_str());
  }
  print_summary(reporter, code, global);
  return code;
}

}  // namespace kiln::firstboot
