#include "builder/pipeline.hpp"

#include <fcntl.h>

#include <cerrno>

#include <sys/file.h>

#include "builder/lock_file.hpp"
#include "builder/overlay.hpp"
#include "builder/steps.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr const char* kWorkLockName = ".lock";

bool has_airgap_work(const spec::Airgap& a) {
  return !a.images.empty() || !a.mirrors.empty() || !a.configs.empty() ||
         a.system_default_registry.has_value();
}

// Lock checks as inputs resolve (--locked), so a mismatch stops the build
// before the expensive steps.
class LockGuard {
 public:
  LockGuard(const BuildContext& ctx, std::optional<LockFile> lock)
      : ctx_(ctx), lock_(std::move(lock)) {
    const auto& o = ctx.options;
    if (!o.locked) return;
    if (!lock_) {
      throw Error("open '" + o.lock_file +
                      "': --locked needs a lock file (build once without --locked to create it)",
                  kExitVerification, ENOENT);
    }
    auto it = lock_->images.find(ctx.spec.name);
    if (it == lock_->images.end()) {
      throw Error("the lock file '" + o.lock_file + "' has no entry for image '" + ctx.spec.name +
                      "' (build once without --locked to add it)",
                  kExitVerification);
    }
    image_ = it->second;
  }

  [[nodiscard]] std::optional<LockEntries> previous() const {
    if (!lock_) return std::nullopt;
    auto it = lock_->images.find(ctx_.spec.name);
    if (it == lock_->images.end()) return std::nullopt;
    return it->second.inputs;
  }

  void check(bool complete = false) const {
    if (!ctx_.options.locked) return;
    check_against_lock(ctx_.resolved, ctx_.report.packages, image_, ctx_.options.lock_file,
                       complete);
  }

  // Without --locked, a successful build (re)writes its entry.
  void write() {
    if (ctx_.options.locked) return;
    LockFile out = lock_.value_or(LockFile{});
    ImageLock il;
    il.inputs = ctx_.resolved;
    if (std::holds_alternative<spec::DebianBase>(ctx_.spec.base))
      il.base_packages = ctx_.report.packages;
    out.images[ctx_.spec.name] = std::move(il);
    write_lock_file(ctx_.options.lock_file, out);
  }

 private:
  const BuildContext& ctx_;
  std::optional<LockFile> lock_;
  ImageLock image_;
};

// Holds an exclusive lock on the work dir for the build's lifetime, which is
// how sweep_stale_work_dirs tells a live build from a dead one.
UniqueFd lock_work_dir(const std::string& work) {
  UniqueFd fd = open_file(work + "/" + kWorkLockName, O_RDWR | O_CREAT, 0600);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) throw_errno("lock", work);
  return fd;
}

bool out_of_space(const Error& e) {
  if (e.err() == ENOSPC || e.err() == EDQUOT) return true;
  // A tool that ran out of space says so in its output.
  return e.message().find("No space left on device") != std::string::npos ||
         e.detail().find("No space left on device") != std::string::npos;
}

void run_steps(BuildContext& ctx, LockGuard& lock) {
  auto step = [&](void (*fn)(BuildContext&)) {
    throw_if_interrupted();
    fn(ctx);
    lock.check();
  };
  auto skipped = [](const char* name) {
    StepTimer t(name);
    t.finish(StepStatus::Skipped);
  };
  step(run_base_step);
  step(run_kiln_boot_step);
  step(run_overlay_step);
  step(run_pin_step);
  if (ctx.spec.rke2 || ctx.options.rke2_artifacts) {
    step(run_rke2_step);
  } else {
    skipped("rke2");
  }
  if (has_airgap_work(ctx.spec.airgap)) {
    step(run_airgap_step);
  } else {
    skipped("airgap");
  }
  check_overlay_requirements(ctx);
  step(run_hygiene_step);
  step(run_firstboot_step);
  lock.check(true);
  step(run_initramfs_step);
  step(run_assemble_step);
  step(run_output_step);
}

}  // namespace

std::string default_lock_path(const spec::ImageSpec& spec, bool embedded,
                              const std::string& output_dir) {
  return (embedded ? output_dir : spec.dir) + "/kiln.lock";
}

void sweep_stale_work_dirs(const std::string& parent) {
  if (!is_directory(parent)) return;
  for (const auto& name : list_dir(parent)) {
    if (!name.starts_with(kWorkDirPrefix)) continue;
    const std::string dir = parent + "/" + name;
    int fd = ::open((dir + "/" + kWorkLockName).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // being set up, or kept with --keep-work
    UniqueFd owned(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) continue;  // a live build
    log_debug("removing the stale work dir " + dir);
    try {
      remove_tree(dir);
    } catch (const Error& e) {
      log_warning("cannot remove the stale work dir " + dir + ": " + e.what());
    }
  }
}

void run_build(const spec::ImageSpec& spec, BuildOptions options) {
  options.output_dir = absolute_path(options.output_dir);
  if (options.work_parent.empty()) options.work_parent = dirname_of(options.output_dir);
  mkdir_p(options.work_parent);
  sweep_stale_work_dirs(options.work_parent);

  const bool output_existed = path_exists(options.output_dir);
  try {
    TempDir work(options.work_parent, kWorkDirPrefix);
    UniqueFd work_lock = lock_work_dir(work.path());
    BuildContext ctx{.spec = spec,
                     .options = options,
                     .work_dir = work.path(),
                     .rootfs_dir = work.path() + "/stage/rootfs"};
    mkdir_p(ctx.rootfs_dir, 0755);
    LockGuard lock(ctx, read_lock_file(options.lock_file));
    ctx.previous_lock = lock.previous();
    mkdir_p(options.output_dir);
    // A kept work dir loses its lock file, so no sweep ever takes it.
    auto keep_if_asked = [&] {
      if (!options.keep_work) return;
      ::unlink((work.path() + "/" + kWorkLockName).c_str());
      log_warning("kept the work dir " + work.release());
    };
    try {
      run_steps(ctx, lock);
    } catch (Error& e) {
      if (auto hint = staging_full_hint(ctx); hint && out_of_space(e)) e.add_context(*hint);
      keep_if_asked();
      throw;
    } catch (...) {
      keep_if_asked();
      throw;
    }
    lock.write();
    keep_if_asked();
  } catch (Error& e) {
    // Leave no empty output dir behind that the build itself created.
    if (!output_existed && is_directory(options.output_dir) &&
        list_dir(options.output_dir).empty()) {
      ::rmdir(options.output_dir.c_str());
    }
    if (out_of_space(e)) e.set_exit_code(kExitNoSpace);
    throw;
  }
}

}  // namespace kiln
