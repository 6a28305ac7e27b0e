// ssh_authorized_keys: ~/.ssh (0700) and authorized_keys (0600), owned by
// the user. Keys already there stay; missing ones are added once.
#include "firstboot/account_db.hpp"
#include "firstboot/apply_context.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {

std::string apply_ssh_keys(ApplyContext& ctx) {
  AccountDb db(ctx.root);
  size_t added = 0;
  size_t users = 0;
  for (const auto& u : ctx.plan.config.users) {
    if (u.ssh_authorized_keys.empty()) continue;
    ++users;
    auto home = db.home_of(u.name);
    auto uid = db.uid_of(u.name);
    auto gid = db.primary_gid_of(u.name);
    if (!home || !uid || !gid || !home->starts_with("/")) {
      throw Error("install SSH keys for '" + u.name +
                  "': the user has no usable entry in /etc/passwd");
    }
    Owner own = ctx.owner(*uid, *gid);
    if (!ctx.root.exists(*home)) ensure_dir(ctx.root, *home, 0700, own);
    const std::string ssh_dir = *home + "/.ssh";
    ensure_dir(ctx.root, ssh_dir, 0700, own);
    const std::string file = ssh_dir + "/authorized_keys";
    std::string current = ctx.root.read_file(file, 1 << 20).value_or("");
    std::vector<std::string> lines;
    for (const auto& l : split(current, '\n')) {
      if (!l.empty()) lines.push_back(l);
    }
    for (const auto& k : u.ssh_authorized_keys) {
      if (std::find(lines.begin(), lines.end(), k) == lines.end()) {
        lines.push_back(k);
        ++added;
      }
    }
    write_if_changed(ctx.root, file, join(lines, "\n") + "\n", 0600, own);
  }
  return std::to_string(added) + " key" + (added == 1 ? "" : "s") + " added for " +
         std::to_string(users) + " user" + (users == 1 ? "" : "s");
}

}  // namespace kiln::firstboot
