// Cooperative cancellation: SIGINT/SIGTERM set a flag that long loops and the
// subprocess runner check, so a cancelled run unwinds through its RAII
// cleanup (temp files, child processes) instead of dying half-way.
#pragma once

namespace kiln {

// Exit status of a run ended by SIGINT or SIGTERM.
constexpr int kExitInterrupted = 130;

void install_interrupt_handlers();
[[nodiscard]] bool interrupted();
// Throws Error("interrupted", kExitInterrupted) once a signal arrived.
void throw_if_interrupted();
// For tests: raise or clear the flag by hand.
void set_interrupted(bool value);

}  // namespace kiln
