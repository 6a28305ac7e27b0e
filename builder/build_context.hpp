// State shared by the steps of one `kiln build`. Data flows one way:
// spec -> base -> overlays -> pins -> rke2/airgap -> hygiene -> firstboot ->
// initramfs -> assemble -> outputs. Each step reads what earlier steps left
// here and in the staging tree, and can be run on its own against a
// directory in tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/image_artifacts.hpp"
#include "builder/spec.hpp"
#include "builder/staging.hpp"
#include "util/tmpfs_mount.hpp"

namespace kiln {

// Exit codes of `kiln build` and friends (see main.cpp).
constexpr int kExitRuntime = 1;
constexpr int kExitInvalid = 2;       // usage or invalid spec
constexpr int kExitVerification = 3;  // sha256 or lock mismatch
constexpr int kExitMissingInput = 4;  // an input that does not exist
constexpr int kExitToolFailed = 5;    // an external program failed
constexpr int kExitNoSpace = 6;       // out of disk space

struct BuildOptions {
  std::string output_dir;                     // where raw/qcow2/manifest.json land
  std::string cache_dir;                      // base cache, initramfs cache, downloads
  bool locked = false;                        // fail if anything differs from kiln.lock
  bool offline = false;                       // never touch the network; caches only
  std::optional<std::string> rke2_artifacts;  // overrides spec rke2.artifacts
  std::string firstboot_binary;               // the kiln-firstboot to install
  std::string work_parent;                    // where the temp work dir goes
  bool keep_work = false;                     // leave the work dir for debugging
  std::string lock_file;                      // kiln.lock to read and (re)write
  // Running as root of an unprivileged user namespace (rootless build):
  // device nodes cannot be created, so base extraction skips them.
  bool rootless = false;
  // Where the staging tree lives (builder/staging.hpp). `kiln build`
  // defaults to auto; a BuildContext made in a test stays on disk.
  StagingRequest staging{.mode = StagingRequest::Mode::Disk, .memory_limit = std::nullopt};
};

// What the build report lists (manifest.json carries it).
struct BuildReport {
  std::vector<std::string> removed;  // hygiene: paths removed from the image
  std::vector<std::string> warnings;
  std::string kernel_version;
  std::map<std::string, std::string> packages;  // name -> version
};

// One resolved input as kiln.lock records it: kind:name -> sha256 (or digest).
using LockEntries = std::map<std::string, std::string>;

struct BuildContext {
  const spec::ImageSpec& spec;
  BuildOptions options;
  std::string work_dir;  // private temp dir for this build
  // The staging tree that becomes the image. Its parent directory holds only
  // it and, from the assemble step on, the state partition's tree; when the
  // tree is staged in memory, the tmpfs is mounted on that parent.
  std::string rootfs_dir;
  LockEntries resolved{};                      // filled in as inputs are resolved
  std::optional<LockEntries> previous_lock{};  // kiln.lock as found
  BuildReport report{};
  std::vector<std::string> extra_cmdline{};  // kernel arguments added by overlays
  // Paths an overlay's manifest requires in the finished tree; checked once
  // pins, rke2 and airgap have added theirs (see overlay_manifest.hpp).
  struct RequiredPath {
    std::string overlay;
    std::string path;
    std::string message;
  };
  std::vector<RequiredPath> required_paths{};
  // Kernel, initramfs, disk layout and outputs (initramfs/assemble/output).
  ImageArtifacts image{};
  // The tmpfs holding rootfs_dir's parent when the tree is staged in memory.
  // Declared after work_dir's owner in run_build, so it is unmounted first.
  std::optional<TmpfsMount> staging_mount{};
};

}  // namespace kiln
