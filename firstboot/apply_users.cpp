// users: accounts, groups, passwords, home directories and sudo rules.
#include <unistd.h>

#include "firstboot/account_db.hpp"
#include "firstboot/apply_context.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace kiln::firstboot {
namespace {

constexpr const char* kSudoersFile = "/etc/sudoers.d/90-kiln-users";

std::string locked(const std::string& field) {
  if (field.empty()) return "!";
  return field.front() == '!' ? field : "!" + field;
}

std::string unlocked(const std::string& field) {
  std::string f = field;
  while (!f.empty() && f.front() == '!') f.erase(0, 1);
  // An empty field would mean "no password needed": never produce it.
  return f.empty() ? "!" : f;
}

std::string default_shell(const RootDir& root, const UserSpec& u) {
  if (u.shell) return *u.shell;
  if (u.is_default && root.exists("/bin/bash")) return "/bin/bash";
  return "/bin/sh";
}

void write_sudoers(ApplyContext& ctx) {
  std::string rules;
  for (const auto& u : ctx.plan.config.users) {
    for (const auto& r : u.sudo) rules += u.name + " " + r + "\n";
  }
  if (rules.empty()) {
    ctx.root.remove(kSudoersFile);  // ours from an earlier instance
    return;
  }
  ensure_dir(ctx.root, "/etc/sudoers.d", 0755, std::nullopt);
  write_if_changed(ctx.root, kSudoersFile,
                   "# Written by kiln-firstboot from cloud-config users.\n" + rules, 0440,
                   ctx.owner(0, 0));
}

}  // namespace

Owner ApplyContext::owner(uid_t uid, gid_t gid) {
  if (can_chown) return std::make_pair(uid, gid);
  if (!chown_warned) {
    chown_warned = true;
    reporter.warning("not running as root: files are left owned by the invoking user");
  }
  return std::nullopt;
}

std::string apply_users(ApplyContext& ctx) {
  const auto& users = ctx.plan.config.users;
  AccountDb db(ctx.root);
  size_t created = 0;
  for (const auto& u : users) {
    AccountDb::NewUser nu{u.name, u.gecos.value_or(""), "/home/" + u.name,
                          default_shell(ctx.root, u), u.system};
    if (db.ensure_user(nu)) ++created;
    for (const auto& g : u.groups) {
      db.ensure_group(g, true);
      db.ensure_member(g, u.name);
    }
    // cloud-init's rules: a given hash replaces the password; lock_passwd
    // (the default) then locks it.
    std::string field = u.hashed_passwd ? *u.hashed_passwd : db.password_field(u.name);
    db.set_password_field(u.name, u.lock_passwd ? locked(field) : unlocked(field));
  }
  db.save();
  // Homes after the accounts are on disk, so a crash never leaves a home
  // without its user; a missing home is made (also by a re-run after an
  // interruption), one that exists is left as it is.
  for (const auto& u : users) {
    auto home = db.home_of(u.name);
    if (u.system || !home || !home->starts_with("/") || ctx.root.exists(*home)) continue;
    Owner own = ctx.owner(*db.uid_of(u.name), *db.primary_gid_of(u.name));
    ensure_dir(ctx.root, *home, 0700, own);
    copy_tree_in_root(ctx.root, "/etc/skel", *home, own);
  }
  write_sudoers(ctx);
  return std::to_string(users.size()) + " user" + (users.size() == 1 ? "" : "s") + ", " +
         std::to_string(created) + " created";
}

}  // namespace kiln::firstboot
