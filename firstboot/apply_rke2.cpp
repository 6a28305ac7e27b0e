// rke2: the config drop-in, the token file and registries.yaml, all 0600
// (they can hold secrets: the token, registry passwords, passthrough keys).
#include "firstboot/apply_context.hpp"
#include "firstboot/rke2_render.hpp"

namespace kiln::firstboot {

std::string apply_rke2_config(ApplyContext& ctx) {
  const Rke2Config& c = *ctx.plan.config.rke2;
  Owner root_owner = ctx.owner(0, 0);
  ensure_dir(ctx.root, "/etc/rancher", 0755, std::nullopt);
  ensure_dir(ctx.root, "/etc/rancher/rke2", 0755, std::nullopt);
  ensure_dir(ctx.root, "/etc/rancher/rke2/config.yaml.d", 0755, std::nullopt);
  std::string detail = "role " + c.role_name();
  if (c.token) {
    write_if_changed(ctx.root, kRke2TokenPath, *c.token + "\n", 0600, root_owner);
    detail += ", token file";
  }
  write_if_changed(ctx.root, kRke2ConfigPath, render_rke2_config(c), 0600, root_owner);
  if (c.has_registries) {
    auto existing = ctx.root.read_file(kRke2RegistriesPath, 1 << 20);
    write_if_changed(ctx.root, kRke2RegistriesPath,
                     render_registries(c, existing, ctx.root.path() + kRke2RegistriesPath), 0600,
                     root_owner);
    detail += ", registries.yaml";
  }
  return detail;
}

}  // namespace kiln::firstboot
