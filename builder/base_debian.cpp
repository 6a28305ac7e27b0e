#include "builder/base_debian.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "builder/runtime_libs.hpp"
#include "builder/staging.hpp"
#include "util/archive_extract.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

// Bumped when kiln changes how it calls mmdebstrap, so old entries are not
// taken for new ones.
constexpr int kRecipeFormat = 1;

// A file removed on destruction unless kept: mmdebstrap leaves a partial
// tarball behind when it fails.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void keep() { path_.clear(); }

 private:
  std::string path_;
};

std::string random_tag() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
  return s;
}

nlohmann::json recipe_json(const DebianRecipe& r) {
  return {{"format", kRecipeFormat}, {"suite", r.suite},           {"mirror", r.mirror},
          {"variant", r.variant},    {"components", r.components}, {"packages", r.packages},
          {"arch", r.arch}};
}

}  // namespace

DebianRecipe debian_recipe(const spec::DebianBase& base, const std::string& firstboot_binary) {
  DebianRecipe r;
  r.suite = base.suite;
  r.mirror = base.mirror;
  r.variant = base.variant;
  r.components = base.components;
  r.packages = base.packages;
  if (!firstboot_binary.empty()) {
    for (auto& p : host_packages_for_libraries(firstboot_binary)) r.packages.push_back(p);
  }
  std::sort(r.packages.begin(), r.packages.end());
  // "pkg" added for kiln-firstboot is redundant when the spec pins "pkg=1.2".
  std::vector<std::string> unique;
  for (const auto& p : r.packages) {
    std::string name = p.substr(0, p.find('='));
    bool pinned_elsewhere = p.find('=') == std::string::npos &&
                            std::any_of(r.packages.begin(), r.packages.end(),
                                        [&](const auto& q) { return q.starts_with(name + "="); });
    if (!pinned_elsewhere && (unique.empty() || unique.back() != p)) unique.push_back(p);
  }
  r.packages = std::move(unique);
  return r;
}

std::string debian_recipe_key(const DebianRecipe& recipe) {
  return sha256_hex(recipe_json(recipe).dump());
}

std::string debian_cache_path(const std::string& cache_dir, const DebianRecipe& recipe) {
  return cache_dir + "/base/debian-" + debian_recipe_key(recipe) + ".tar";
}

std::vector<std::string> mmdebstrap_argv(const DebianRecipe& r, const std::string& out_tar) {
  std::vector<std::string> argv{"mmdebstrap", "--variant=" + r.variant, "--architectures=" + r.arch,
                                "--components=" + join(r.components, ","), "--format=tar"};
  if (!r.packages.empty()) argv.push_back("--include=" + join(r.packages, ","));
  argv.push_back(r.suite);
  argv.push_back(out_tar);
  argv.push_back(r.mirror);
  return argv;
}

bool build_debian_base(BuildContext& ctx, const spec::DebianBase& base, StepTimer& timer) {
  DebianRecipe recipe = debian_recipe(base, ctx.options.firstboot_binary);
  const std::string cached = debian_cache_path(ctx.options.cache_dir, recipe);
  const bool hit = path_exists(cached);
  timer.add_field("cache_key", debian_recipe_key(recipe).substr(0, 16));
  if (!hit) {
    const std::string described =
        "the Debian base (" + recipe.suite + " from " + recipe.mirror + ")";
    if (ctx.options.offline && !recipe.mirror.starts_with("file://")) {
      throw Error("base: " + described +
                      " is not in the cache and --offline forbids running mmdebstrap against a "
                      "network mirror",
                  kExitMissingInput);
    }
    mkdir_p(dirname_of(cached));
    // mmdebstrap picks its output format from the extension, so the temp
    // name ends in .tar too.
    const std::string temp = dirname_of(cached) + "/.tmp-" + random_tag() + ".tar";
    RemoveOnExit cleanup(temp);
    RunOptions o;
    o.log_path = ctx.work_dir + "/mmdebstrap.log";
    o.tail_lines = 15;
    try {
      run(mmdebstrap_argv(recipe, temp), o);
    } catch (Error& e) {
      if (e.exit_code() == 1) e.set_exit_code(kExitToolFailed);
      e.add_context("while creating " + described);
      throw;
    }
    write_file_atomic(cached.substr(0, cached.size() - 4) + ".json",
                      recipe_json(recipe).dump(2) + "\n");
    rename_durable(temp, cached);
    cleanup.keep();
  }
  prepare_staging_tree(ctx, estimated_unpacked_bytes(cached), timer);
  ExtractOptions eo;
  eo.skip_unpermitted_devices = ctx.options.rootless;
  eo.on_progress = [&timer](uint64_t done, uint64_t total) { timer.progress(done, total); };
  with_context("while unpacking the Debian base '" + cached + "'",
               [&] { extract_tree(cached, ctx.rootfs_dir, eo); });
  return hit;
}

}  // namespace kiln
