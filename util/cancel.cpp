#include "util/cancel.hpp"

#include <csignal>

#include "util/error.hpp"

namespace kiln {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int /*sig*/) { g_interrupted = 1; }
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: blocking calls return EINTR so loops notice promptly.
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

void throw_if_interrupted() {
  if (interrupted()) throw Error("interrupted", kExitInterrupted);
}

void set_interrupted(bool value) { g_interrupted = value ? 1 : 0; }

}  // namespace kiln
