// kiln-firstboot run: what the unit runs at boot. Probes the datasources,
// applies the first one with data once per instance, starts the role.
#include <chrono>
#include <cstdio>

#include "firstboot/cli_common.hpp"
#include "firstboot/commands.hpp"
#include "firstboot/datasource.hpp"
#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

ArgParser run_parser() {
  ArgParser p(
      "kiln-firstboot run", "[OPTIONS]",
      "Find cloud-init data (kernel command line, CIDATA volume, ConfigDrive, EC2 IMDSv2,\n"
      "the seed baked into the image; the first with data wins), apply it once per\n"
      "instance-id and start the node's RKE2 role. This is what kiln-firstboot.service runs.");
  add_agent_options(p);
  p.option("sources", 0, "LIST",
           "Datasources to probe, comma-separated, in the fixed order\n"
           "(default: cmdline,nocloud,configdrive,imds,seed)");
  p.option("cmdline", 0, "TEXT", "Read this instead of /proc/cmdline");
  p.option("device", 0, "PATH",
           "Probe this device or image for volumes instead of all block devices", true);
  p.option("imds-url", 0, "URL",
           "Probe IMDS at this base URL (default: http://169.254.169.254, on EC2 only)");
  p.option("imds-timeout", 0, "MS", "Total time a missing IMDS may cost (default: 2000)");
  p.option("network-timeout", 0, "MS",
           "Longest wait for the network when the chosen source needs it (default: 30000)");
  p.flag("no-journal", 0, "Do not send step events to the systemd journal");
  p.epilog(
      "Exit codes: 0 ok (or already applied), 1 a step failed, 2 invalid data, 3 no datasource.");
  return p;
}

int run_run(const std::vector<std::string>& args, const GlobalOptions& global) {
  ArgParser parser = run_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  AgentOptions o = agent_options(a);
  if (o.start && absolute_path(o.root) != "/") {
    throw Error(parser.program() + ": --root " + o.root +
                    " is not the running system; add --no-start (see '" + parser.program() +
                    " --help')",
                kExitUsage);
  }
  ProbeOptions p;
  p.root = absolute_path(o.root);
  if (auto s = a.get("sources")) {
    p.sources.clear();
    for (const auto& name : split(*s, ',')) {
      const auto& all = all_datasources();
      if (std::find(all.begin(), all.end(), name) == all.end()) {
        throw Error(parser.program() + ": unknown datasource '" + name + "' in --sources (known: " +
                        join(all, ", ") + ") (see '" + parser.program() + " --help')",
                    kExitUsage);
      }
      p.sources.push_back(name);
    }
  }
  p.cmdline = a.has("cmdline") ? *a.get("cmdline")
                               : read_file_if_exists("/proc/cmdline", 64 * 1024).value_or("");
  if (a.has("device")) p.devices = a.all("device");
  if (auto u = a.get("imds-url")) p.imds_url = *u;
  if (auto t = a.get_int("imds-timeout", 1, 60000))
    p.imds_probe_budget = std::chrono::milliseconds(*t);
  if (auto t = a.get_int("network-timeout", 1, 600000))
    p.network_budget = std::chrono::milliseconds(*t);

  const bool journal = !a.has("no-journal");
  // Under the unit, stderr is the journal (and the console): the steps are
  // already there as structured events, so only warnings and the summary
  // are printed.
  if (journal && !global.json && fd_is_journal_stream(2))
    set_event_sink(make_terminal_sink(2, global.verbose, false));
  Reporter reporter({status_path(a, o.root), journal});
  reporter.notify_status("looking for cloud-init data");
  ProbeResult found;
  const auto probe_start = std::chrono::steady_clock::now();
  auto record_probe_time = [&] {
    reporter.set_probe_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - probe_start)
                              .count());
  };
  try {
    found = probe_datasources(p);
    record_probe_time();
  } catch (Error& e) {
    record_probe_time();
    reporter.error(e.what());
    reporter.finish(e.exit_code() == kExitInvalidData ? "invalid" : "failed", e.exit_code());
    throw;
  }
  if (!found.seed) {
    for (const auto& t : found.tried) reporter.warning(t);
    reporter.finish("no-datasource", kExitNoDatasource);
    print_summary(reporter, kExitNoDatasource, global);
    return kExitNoDatasource;
  }
  return run_and_report(*found.seed, o, reporter, global);
}

}  // namespace

Command run_command() {
  return {"run", "Find cloud-init data on this machine, apply it once per instance, start the role",
          run_run};
}

}  // namespace kiln::firstboot
