// write_files: each file written whole (temp file, fsync, rename) inside the
// root, with its mode and owner. An append happens once per instance, even
// across an interruption: the expected result is recorded before the file
// is replaced, so a re-run can tell whether the append already landed.
#include "firstboot/account_db.hpp"
#include "firstboot/apply_context.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace kiln::firstboot {
namespace {

std::pair<uid_t, gid_t> resolve_owner(const AccountDb& db, const WriteFile& f) {
  auto uid = db.uid_of(f.owner_user);
  if (!uid) throw Error("write '" + f.path + "': owner '" + f.owner_user + "' does not exist");
  std::optional<gid_t> gid =
      f.owner_group ? db.gid_of(*f.owner_group) : db.primary_gid_of(f.owner_user);
  if (!gid)
    throw Error("write '" + f.path + "': group '" + f.owner_group.value_or(f.owner_user) +
                "' does not exist");
  return {*uid, *gid};
}

bool touches_units(const std::string& path) {
  return path.starts_with("/etc/systemd/system/") || path.starts_with("/usr/lib/systemd/system/") ||
         path.starts_with("/usr/local/lib/systemd/system/");
}

}  // namespace

std::string apply_write_files(ApplyContext& ctx, bool deferred) {
  AccountDb db(ctx.root);
  size_t written = 0;
  size_t skipped = 0;
  for (const auto& f : ctx.plan.config.write_files) {
    if (f.defer != deferred) continue;
    with_context("while writing write_files[" + std::to_string(f.index) + "]", [&] {
      auto [uid, gid] = resolve_owner(db, f);
      Owner own = ctx.owner(uid, gid);
      if (!f.append) {
        if (write_if_changed(ctx.root, f.path, f.content, f.mode, own)) ++written;
        if (touches_units(f.path)) ctx.units_changed = true;
        return;
      }
      const std::string item = "write_files[" + std::to_string(f.index) + "]";
      if (ctx.state.done(item)) {
        ++skipped;
        return;
      }
      std::string current = ctx.root.read_file(f.path).value_or("");
      if (auto expected = ctx.state.pending(item); expected && sha256_hex(current) == *expected) {
        ctx.state.mark_done(item);  // the interrupted run's append landed
        ++skipped;
        return;
      }
      std::string result = current + f.content;
      ctx.state.set_pending(item, sha256_hex(result));
      ctx.root.write_file(f.path, result, f.mode, own);
      ctx.state.mark_done(item);
      if (touches_units(f.path)) ctx.units_changed = true;
      ++written;
    });
  }
  return std::to_string(written) + " written" +
         (skipped > 0 ? ", " + std::to_string(skipped) + " already appended" : "");
}

}  // namespace kiln::firstboot
