#include "firstboot/agent.hpp"

#include <thread>

#include "firstboot/apply_context.hpp"
#include "firstboot/http_client.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/plan.hpp"
#include "firstboot/target_facts.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/sync_batch.hpp"

namespace kiln::firstboot {
namespace {

// The instance id alone, cheaply: a reboot of an applied instance stops here.
std::string quick_instance_id(const SeedData& seed, const SeedMeta& meta) {
  if (seed.instance_id_override)
    return check_instance_id(*seed.instance_id_override).empty() ? *seed.instance_id_override : "";
  return meta.meta ? meta.meta->instance_id : "";
}

class Steps {
 public:
  explicit Steps(ApplyContext& ctx) : ctx_(ctx) {}

  bool run(const std::string& name, const std::function<std::string()>& fn) {
    ctx_.reporter.notify_status("applying " + name);
    StepTimer timer(name);
    try {
      std::string detail = fn();
      long long ms = timer.elapsed_ms();
      timer.finish();
      ctx_.reporter.step({name, "ok", ms, detail});
      return true;
    } catch (const Error& e) {
      long long ms = timer.elapsed_ms();
      timer.fail(e.what());
      ctx_.reporter.step({name, "failed", ms, e.what()});
      if (e.exit_code() == kExitInterrupted) throw;
      failed_ = true;
      return false;
    }
  }

  void skip(const std::string& name, const std::string& why) {
    StepTimer timer(name);
    timer.finish(StepStatus::Skipped);
    ctx_.reporter.step({name, "skipped", 0, why});
  }

  [[nodiscard]] bool failed() const { return failed_; }

 private:
  ApplyContext& ctx_;
  bool failed_ = false;
};

void wait_for_unit_active(SystemdManager& bus, const std::string& unit,
                          std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    throw_if_interrupted();
    std::string state = bus.active_state(unit);
    if (state == "active") return;
    if (state == "failed") throw Error("wait for '" + unit + "': the unit failed");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error("wait for '" + unit + "': still " + state + " after " +
                  std::to_string(timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

void wait_for_server_ready(const std::string& url, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpResult last;
  while (std::chrono::steady_clock::now() < deadline) {
    throw_if_interrupted();
    HttpRequest req;
    req.url = url;
    req.timeout = std::chrono::milliseconds(2000);
    req.max_bytes = 4096;
    // The supervisor's certificate is issued by the cluster's own CA; /ping
    // carries nothing secret either way.
    req.verify_tls = false;
    last = http_request_until(
        req, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(2)));
    if (last.ok() && trim(last.body) == "pong") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string why = last.status != 0 ? "HTTP status " + std::to_string(last.status) : last.error;
  throw Error("wait for '" + url + "': no pong within " + std::to_string(timeout.count()) + " s (" +
              why + ")");
}

int run_agent(const SeedData& seed, const AgentOptions& o, Reporter& rep) {
  RootDir root(o.root);
  // The running system: sethostname() applies, commands run without chroot.
  const bool live = root.path() == "/";
  rep.set_datasource(seed.source, seed.location);
  TargetFacts facts = read_target_facts(root);
  const SeedMeta meta = read_seed_meta(seed);
  if (std::string id = quick_instance_id(seed, meta); !id.empty() && !o.force) {
    InstanceState state(root, id);
    if (state.complete()) {
      rep.set_instance(id);
      rep.finish("already-applied", kExitOk);
      return kExitOk;
    }
  }
  Plan plan = build_plan(seed, meta, facts);
  rep.set_instance(plan.meta.instance_id);
  rep.diagnostics(plan.diagnostics);
  if (!plan.valid()) {
    // Fail closed: nothing is written and the role is not started.
    if (plan.config.rke2) rep.set_role(plan.config.rke2->unit(), false);
    rep.finish("invalid", kExitInvalidData);
    return kExitInvalidData;
  }
  // One syncfs per file system at the barriers (before each command, with
  // each progress record, at the end) instead of two fsyncs per file.
  SyncBatch batch;
  InstanceState state(root, plan.meta.instance_id);
  if (state.was_interrupted())
    rep.warning("resuming an interrupted run of instance " + plan.meta.instance_id);
  state.begin(seed);

  ApplyContext ctx{root, plan, state, rep};
  ctx.live = live;
  ctx.run_commands = o.run_commands;
  ctx.can_chown = ::geteuid() == 0;
  const CloudConfig& c = plan.config;
  Steps steps(ctx);
  auto has_files = [&](bool deferred) {
    return std::any_of(c.write_files.begin(), c.write_files.end(),
                       [&](const WriteFile& f) { return f.defer == deferred; });
  };
  if (!c.users.empty()) {
    steps.run("users", [&] { return apply_users(ctx); });
    steps.run("ssh-keys", [&] { return apply_ssh_keys(ctx); });
  }
  if (plan.short_hostname()) steps.run("hostname", [&] { return apply_hostname(ctx); });
  if (c.timezone) steps.run("timezone", [&] { return apply_timezone(ctx); });
  if (plan.network || !kiln_networkd_files(root).empty())
    steps.run("network", [&] { return apply_network(ctx); });
  if (!c.bootcmd.empty()) steps.run("bootcmd", [&] { return apply_commands(ctx, "bootcmd"); });
  if (has_files(false)) steps.run("write-files", [&] { return apply_write_files(ctx, false); });
  if (c.rke2) steps.run("rke2", [&] { return apply_rke2_config(ctx); });
  if (has_files(true))
    steps.run("write-files-deferred", [&] { return apply_write_files(ctx, true); });
  if (!c.runcmd.empty()) {
    if (steps.failed()) {
      steps.skip("runcmd", "an earlier step failed");
    } else {
      steps.run("runcmd", [&] { return apply_commands(ctx, "runcmd"); });
    }
  }

  std::optional<SystemdManager> bus;
  auto systemd = [&]() -> SystemdManager& {
    if (!bus) bus.emplace(o.connect_systemd());
    return *bus;
  };
  if (o.start) {
    // One reload, and only for unit files the data wrote: enabling a unit
    // only adds a .wants symlink, which StartUnit/RestartUnit do not need
    // loaded (the link serves the next boot), and a reload re-reads every
    // unit, which costs seconds while the rest of the boot is running.
    if (ctx.units_changed) {
      steps.run("daemon-reload", [&] {
        systemd().reload();
        return std::string("units reloaded");
      });
    }
    if (ctx.network_changed) {
      steps.run("networkd", [&] {
        const std::string unit = "systemd-networkd.service";
        if (!plan.network) {
          // Only an earlier instance's files went: a running networkd
          // drops their settings, a stopped one stays as the image has it.
          systemd().try_restart_unit(unit);
          return unit + " restarted if it was running";
        }
        // The data asked for a network: networkd must run now and on later
        // boots, whatever the image's presets left it as.
        bool enabled_now = systemd().enable_unit_files({unit});
        systemd().restart_unit(unit);
        return unit + (enabled_now ? " enabled and" : "") + " restarted";
      });
    }
  }
  if (c.rke2) {
    const std::string unit = c.rke2->unit();
    rep.set_role(unit, false);
    if (!o.start) {
      steps.skip("role", "--no-start");
    } else if (steps.failed()) {
      steps.skip("role", "an earlier step failed");
    } else if (steps.run("role",
                         [&] {
                           systemd().enable_unit_files({unit});
                           // Queued, not awaited: boot never blocks on the role.
                           std::string job = systemd().start_unit(unit, "replace");
                           rep.set_role(unit, true);
                           return unit + " enabled and started (" + job + ")";
                         }) &&
               o.wait_ready) {
      steps.run("wait-ready", [&] {
        if (c.rke2->role == Rke2Role::Server) {
          wait_for_server_ready(o.ready_url, o.wait_timeout);
          return std::string("supervisor answered pong");
        }
        wait_for_unit_active(systemd(), unit, o.wait_timeout);
        return unit + " active";
      });
    }
  }
  if (steps.failed()) {
    // What did get applied is kept; the instance stays unfinished and
    // is resumed on the next boot.
    batch.flush();
    rep.finish("failed", kExitRuntime);
    return kExitRuntime;
  }
  state.finish();
  rep.finish("ok", kExitOk);
  return kExitOk;
}

}  // namespace kiln::firstboot
