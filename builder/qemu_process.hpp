// Runs QEMU and watches the guest's serial console: stops the guest when a
// marker appears, or reports that it powered off, timed out or that QEMU
// failed. Always leaves no QEMU process behind.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class GuestOutcome {
  MarkerSeen,  // the marker appeared on the console (QEMU was then stopped)
  PoweredOff,  // QEMU exited 0 by itself: the guest shut down
  TimedOut,    // the time ran out (QEMU was then stopped)
  QemuFailed,  // QEMU exited non-zero or was killed by a signal
};

struct GuestWatch {
  std::optional<std::string> marker;
  std::chrono::milliseconds timeout{0};  // 0: no limit
  // Called with console output as it arrives.
  std::function<void(std::string_view)> on_console;
  std::string qemu_log;  // QEMU's own stdout and stderr
};

struct GuestRun {
  GuestOutcome outcome = GuestOutcome::QemuFailed;
  int qemu_status = -1;  // exit status, when QEMU exited by itself
  int qemu_signal = 0;
  long long elapsed_ms = 0;
  std::string qemu_output_tail;  // last lines of QEMU's own output
};

// Starts `argv` (QEMU writing the serial console to `console_log`, which is
// created empty first) and watches it. SIGINT/SIGTERM to kiln stop QEMU and
// throw the "interrupted" error.
GuestRun run_guest(const std::vector<std::string>& argv, const std::string& console_log,
                   const GuestWatch& watch);

// Runs QEMU on this terminal (serial console on stdin/stdout) and returns its
// exit status.
int run_guest_interactive(const std::vector<std::string>& argv);

// The last `n` lines of a console log, with terminal escape sequences and
// carriage returns removed.
std::string console_tail(const std::string& console_log, size_t n);

}  // namespace kiln
