// bootcmd / runcmd: each command runs in order, once per instance (a command
// that finished is recorded and not run again after an interruption; one
// that failed or was cut short runs again). Output goes to the journal; the
// exit status is recorded. The command text is never logged: it may carry
// credentials the user passes to their own tools.
#include <unistd.h>

#include "firstboot/apply_context.hpp"
#include "util/error.hpp"
#include "util/subprocess.hpp"

namespace kiln::firstboot {

std::string apply_commands(ApplyContext& ctx, const std::string& key) {
  const auto& commands = key == "bootcmd" ? ctx.plan.config.bootcmd : ctx.plan.config.runcmd;
  if (!ctx.run_commands) {
    ctx.reporter.warning(key + ": " + std::to_string(commands.size()) +
                         " command(s) not run (--skip-commands)");
    return "skipped (--skip-commands)";
  }
  if (!ctx.live && ::geteuid() != 0) {
    throw Error(key + ": running commands inside '" + ctx.root.path() +
                "' needs root (chroot); run as root or pass --skip-commands");
  }
  std::vector<std::string> statuses;
  std::vector<std::string> failed;
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string item = key + "[" + std::to_string(i) + "]";
    if (ctx.state.done(item)) {
      statuses.push_back("done before");
      continue;
    }
    std::vector<std::string> argv;
    if (!ctx.live) argv = {"chroot", ctx.root.path()};
    argv.insert(argv.end(), commands[i].argv.begin(), commands[i].argv.end());
    RunOptions o;
    o.check = false;
    o.capture = false;
    o.clear_env = true;
    o.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
             "LANG=C.UTF-8", "KILN_INSTANCE_ID=" + ctx.plan.meta.instance_id};
    if (ctx.live) o.cwd = "/";
    o.on_output = [&](std::string_view chunk) { ctx.reporter.command_output(item, chunk); };
    // No barrier before the command: what it sees is in the page cache, and
    // a command that takes the machine down before it returns is not marked
    // done, so the next boot redoes the (idempotent) writes and runs it again
    // either way. The barrier after it (in mark_done) orders "done" after
    // the command's own writes.
    RunResult r;
    try {
      r = run(argv, o);
    } catch (const Error& e) {
      if (e.exit_code() != 127) throw;
      r.exit_status = 127;  // the program does not exist
    }
    std::string status = r.signaled() ? "signal " + std::to_string(r.signal)
                                      : "exit " + std::to_string(r.exit_status);
    statuses.push_back(status);
    if (r.ok()) {
      ctx.state.mark_done(item);
    } else {
      failed.push_back(item + " (" + status + ")");
    }
  }
  std::string detail;
  for (size_t i = 0; i < statuses.size(); ++i) detail += (i ? ", " : "") + statuses[i];
  if (!failed.empty()) {
    std::string list;
    for (size_t i = 0; i < failed.size(); ++i) list += (i ? ", " : "") + failed[i];
    throw Error(key + ": " + list + " failed");
  }
  return std::to_string(commands.size()) + " command" + (commands.size() == 1 ? "" : "s") + ": " +
         detail;
}

}  // namespace kiln::firstboot
