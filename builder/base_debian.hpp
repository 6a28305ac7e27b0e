// The Debian flavour of the base step: mmdebstrap writes the root tree as a
// tarball (so owners survive without a root-owned tree in the cache), cached
// under CACHE/base/ by the sha256 of everything that shapes it.
#pragma once

#include <string>
#include <vector>

#include "builder/build_context.hpp"
#include "util/log.hpp"

namespace kiln {

struct DebianRecipe {
  std::string suite;
  std::string mirror;
  std::string variant;
  std::vector<std::string> components;
  std::vector<std::string> packages;  // the spec's plus kiln-firstboot's libraries; sorted
  std::string arch = "amd64";
};

// The recipe for a spec's Debian base. `firstboot_binary`, when non-empty,
// adds the host packages providing its libraries (see runtime_libs.hpp).
DebianRecipe debian_recipe(const spec::DebianBase& base, const std::string& firstboot_binary);
// The cache key: sha256 of the recipe's canonical JSON.
std::string debian_recipe_key(const DebianRecipe& recipe);
std::vector<std::string> mmdebstrap_argv(const DebianRecipe& recipe, const std::string& out_tar);
// CACHE/base/debian-KEY.tar
std::string debian_cache_path(const std::string& cache_dir, const DebianRecipe& recipe);

// Fills ctx.rootfs_dir from the cached tarball, running mmdebstrap first
// when it is not cached. Returns true when the cache served it.
bool build_debian_base(BuildContext& ctx, const spec::DebianBase& base, StepTimer& timer);

}  // namespace kiln
