#include "firstboot/seed_check.hpp"

#include <memory>

#include "firstboot/plan.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/target_facts.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {

SeedCheck validate_seed_dir(const std::string& dir, const std::string& display,
                            const std::string& image_root,
                            const std::optional<std::string>& rke2_version) {
  SeedData seed = read_seed_dir(dir, display);
  std::unique_ptr<RootDir> root;
  TargetFacts facts;
  if (!image_root.empty()) {
    root = std::make_unique<RootDir>(image_root);
    facts = read_target_facts(*root);
  }
  if (rke2_version) {
    facts.image_json_found = true;
    facts.image_has_rke2 = true;
    facts.rke2_version = rke2_version;
  }
  Plan plan = build_plan(seed, facts);
  SeedCheck out;
  // A baked-in seed is exactly what the NoCloud reader reads: anything else
  // in it would be silently ignored on the node.
  for (const auto& name : list_dir(dir)) {
    if (name != "user-data" && name != "meta-data" && name != "network-config") {
      out.errors.push_back({display.empty() ? name : display + "/" + name, 0, 0,
                            "unexpected file (a seed holds user-data, meta-data and "
                            "network-config, nothing else)",
                            false});
    }
  }
  for (auto& e : plan.errors()) out.errors.push_back(std::move(e));
  out.warnings = plan.warnings();
  if (out.errors.empty()) out.instance_id = plan.meta.instance_id;
  return out;
}

}  // namespace kiln::firstboot
