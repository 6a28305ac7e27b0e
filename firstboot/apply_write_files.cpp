// write_files: each file written whole (temp file, fsync, rename) inside the
// root, with its mode and owner. A re-run (after power loss, or --force)
// converges on the bytes an uninterrupted run writes. Writes are simply
// done again. An append happens once per instance: the digests of its file
// before and after are recorded before the file is replaced, so a re-run
// can tell whether it landed. One exception: when the file holds the
// content the append was made to again, an earlier step of this run
// (typically a write_files entry for the same path) has put it back, and
// the append is done again after it, as in the uninterrupted run.
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
      const std::string current = ctx.root.read_file(f.path).value_or("");
      const std::string current_sha = sha256_hex(current);
      const auto record = ctx.state.append_record(item);
      if (record && current_sha == record->result_sha256) {
        // It landed; the run was cut short before it was marked done.
        if (!ctx.state.done(item)) ctx.state.mark_done(item);
        ++skipped;
        return;
      }
      if (ctx.state.done(item) && !(record && current_sha == record->base_sha256)) {
        ++skipped;  // landed, and a later step changed the file since
        return;
      }
      std::string result = current + f.content;
      ctx.state.record_append(item, {current_sha, sha256_hex(result)});
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
