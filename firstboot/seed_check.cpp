#include "firstboot/seed_check.hpp"

#include <memory>

#include "firstboot/plan.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/target_facts.hpp"

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
  out.errors = plan.errors();
  out.warnings = plan.warnings();
  if (out.errors.empty()) out.instance_id = plan.meta.instance_id;
  return out;
}

}  // namespace kiln::firstboot
