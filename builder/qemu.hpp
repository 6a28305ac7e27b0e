// Booting kiln images in QEMU: the machine description, its argv, UEFI
// firmware, and the accelerator probe. Shared by `kiln run` and (later)
// `kiln cluster`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

// Exit codes of `kiln run` beyond the common ones (docs/run.md).
constexpr int kExitGuestStoppedEarly = 7;  // powered off before the marker
constexpr int kExitRunTimedOut = 8;        // neither marker nor power-off in time

struct Firmware {
  std::string code;           // read-only OVMF code
  std::string vars_template;  // OVMF variable store; each run boots a copy
};

// OVMF from the ovmf package (4 MiB build first); exit 4 when missing.
Firmware find_ovmf();

enum class NetworkMode {
  Restricted,  // QEMU user networking with restrict=on: no route out
  None,        // no network device at all
};

struct QemuMachine {
  std::string disk;                // image (or its per-run overlay)
  std::string disk_format;         // "raw" or "qcow2"
  bool disk_cache_unsafe = false;  // throwaway overlays need no flushes
  uint64_t memory_mib = 2048;
  unsigned cpus = 2;
  std::string accel = "tcg";  // "kvm" or "tcg"
  Firmware firmware;
  std::string firmware_vars;              // the run's writable copy of the variable store
  std::optional<std::string> seed_image;  // attached read-only as a second disk
  NetworkMode network = NetworkMode::Restricted;
  // "tcp:HOSTPORT:GUESTPORT" forwards from 127.0.0.1 (allowed under restrict).
  std::vector<std::string> forwards;
  std::string console_log;              // serial console goes here (unless interactive)
  bool interactive = false;             // serial console on this terminal instead
  std::vector<std::string> extra_args;  // appended verbatim (e.g. more NICs)
};

std::vector<std::string> qemu_argv(const QemuMachine& m);

// "kvm" when /dev/kvm is usable and a short probe boots the firmware to its
// boot manager within `budget`, else "tcg". KVM can hang outright (nested
// virtualisation without support); the probe is killed and TCG used. The
// result is remembered per host boot in `cache_file` (when not empty).
std::string probe_accelerator(std::chrono::milliseconds budget, const std::string& cache_file);

// What `--accel` asked for: the option's value, else $KILN_QEMU_ACCEL, else
// "auto". Callers reject anything but auto, kvm and tcg (is_accelerator_name)
// before choose_accelerator resolves "auto" with a probe cached under the
// user's kiln cache directory.
std::string requested_accelerator(const std::string& option_value);
bool is_accelerator_name(const std::string& name);
std::string choose_accelerator(const std::string& requested);

// "raw" or "qcow2", from the file's first bytes.
std::string detect_disk_format(const std::string& path);

}  // namespace kiln
