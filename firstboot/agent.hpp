// One run of the agent on a seed that has been found: the instance check,
// validation (fail closed: invalid data applies nothing and starts nothing),
// the apply steps in order, and the start of the RKE2 role.
//
// Step order: users, ssh-keys (first, so an operator can log in whatever
// fails later), hostname, timezone, network, bootcmd, write-files, rke2,
// write-files-deferred, runcmd, then systemd (daemon-reload only for new
// unit files, networkd) and role. runcmd and the role are skipped once a step has failed.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "firstboot/reporter.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/systemd_manager.hpp"

namespace kiln::firstboot {

struct AgentOptions {
  std::string root = "/";
  // Talk to systemd (reload, enable and start the role) through
  // connect_systemd. The CLI allows it only for the running system.
  bool start = true;
  bool run_commands = true;  // bootcmd/runcmd
  bool force = false;        // apply an instance that was applied already
  bool wait_ready = false;
  std::chrono::seconds wait_timeout{600};
  std::string ready_url = "https://127.0.0.1:9345/ping";
  // How to reach systemd (tests pass a fake over a socket pair).
  std::function<SystemdManager()> connect_systemd = [] { return SystemdManager::connect(); };
};

// Returns the exit code (0 ok, 1 a step failed, 2 invalid data). Diagnostics
// of invalid data are left in the reporter for the caller to print.
int run_agent(const SeedData& seed, const AgentOptions& options, Reporter& reporter);

// Polls the RKE2 supervisor's /ping until it answers "pong" or the timeout
// passes (then throws).
void wait_for_server_ready(const std::string& url, std::chrono::seconds timeout);

}  // namespace kiln::firstboot
