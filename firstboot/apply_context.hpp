// What the apply steps share: the target root, the validated plan, the
// instance's state, the reporter and the options of this run.
#pragma once

#include <string>
#include <vector>

#include "firstboot/instance_state.hpp"
#include "firstboot/plan.hpp"
#include "firstboot/reporter.hpp"
#include "firstboot/root_ops.hpp"
#include "util/root_dir.hpp"

namespace kiln::firstboot {

struct ApplyContext {
  const RootDir& root;
  const Plan& plan;
  InstanceState& state;
  Reporter& reporter;
  bool live = false;             // the root is the running system ("/")
  bool run_commands = true;      // false: bootcmd/runcmd are skipped (--skip-commands)
  bool can_chown = true;         // running as root
  bool units_changed = false;    // a write_files entry touched systemd units
  bool network_changed = false;  // networkd files changed
  bool chown_warned = false;

  // The owner to give a file: the requested one, or none (with a warning,
  // once) when not running as root.
  Owner owner(uid_t uid, gid_t gid);
};

// Each step returns a short detail for the status ("2 users, 1 created")
// and throws kiln::Error on failure. Messages never carry secret values.
std::string apply_users(ApplyContext& ctx);
std::string apply_ssh_keys(ApplyContext& ctx);
std::string apply_hostname(ApplyContext& ctx);
std::string apply_timezone(ApplyContext& ctx);
// Writes the network-config's networkd files and removes kiln's files that
// this instance does not have, with or without a network-config.
std::string apply_network(ApplyContext& ctx);
// kiln's networkd files (kNetworkdPrefix) in the root's /etc/systemd/network.
std::vector<std::string> kiln_networkd_files(const RootDir& root);
std::string apply_write_files(ApplyContext& ctx, bool deferred);
std::string apply_rke2_config(ApplyContext& ctx);
// Runs bootcmd or runcmd ("bootcmd"/"runcmd"), each command once per instance.
std::string apply_commands(ApplyContext& ctx, const std::string& key);

}  // namespace kiln::firstboot
