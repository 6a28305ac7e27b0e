// Helpers for the [qemu] tests: the default image the ctest fixture builds
// once ("qemu: build the default image"), disk copies, reading and writing
// the state partition of a raw disk with debugfs (no mounts), and booting
// with `kiln run`.
#pragma once

#include <string>
#include <vector>

#include "builder/image_artifacts.hpp"

namespace kiln::qemu_test {

// Where the fixture puts the default image: <build>/qemu-images/default/
// (kiln-default.raw, kiln-default.qcow2, manifest.json) and its lock file;
// the image builds' cache is kiln's default one (~/.cache/kiln, outside the
// build tree; the CMake variable KILN_QEMU_CACHE_DIR). Other [qemu] tests
// (firstboot, cluster) reuse them.
std::string images_dir();
std::string default_image_dir();
std::string default_raw();
std::string default_lock();
std::string cache_dir();
// The same spec built with the stand-in RKE2 release by the fixture "qemu:
// build the rke2 image": <build>/qemu-images/rke2/kiln-default.raw, on
// which seeds with an rke2 section are valid.
std::string rke2_image_dir();
std::string rke2_raw();

// A raw disk's partition by GPT name.
PartitionInfo find_partition(const std::string& raw, const std::string& name);

// Copies a raw disk, keeping it sparse.
void copy_disk(const std::string& from, const std::string& to);

// Runs debugfs commands (one a line) against the disk's state partition,
// writing the partition back when `write` is set. Returns debugfs' output.
std::string state_debugfs(const std::string& raw, const std::string& commands, bool write);

// A file's content on the state partition, e.g. "/var/lib/kiln-test/token".
std::string state_cat(const std::string& raw, const std::string& path);

// Puts the test probe (tests/fixtures/qemu-probe) into the disk's
// persistent /etc layer, enabled for multi-user.target.
void install_probe(const std::string& raw);

struct Boot {
  int exit_code = -1;
  std::string console;      // the console log path
  std::string stderr_text;  // kiln run's own messages
  // "key=value" parts of the "KILN-PROBE key=value" lines, in order.
  std::vector<std::string> probe;
  [[nodiscard]] std::string value(const std::string& key) const;  // last value, or ""
  [[nodiscard]] std::string tail() const;                         // last 30 console lines
};

// `kiln run IMAGE --persist` until the guest powers off (or `timeout_s`).
Boot boot_persistent(const std::string& image, const std::string& console_log, int timeout_s,
                     const std::vector<std::string>& extra_args = {});

}  // namespace kiln::qemu_test
