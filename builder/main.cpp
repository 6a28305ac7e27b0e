#include "builder/commands.hpp"
#include "util/cli_main.hpp"

#ifndef KILN_VERSION
#error "KILN_VERSION must be defined by the build"
#endif

int main(int argc, char** argv) {
  kiln::Program program{
      "kiln", KILN_VERSION,
      "Build immutable, airgapped OS images for RKE2 nodes, and boot them in QEMU.",
      kiln::kiln_commands(),
      "Exit codes: 0 success, 1 runtime failure, 2 usage or invalid spec,\n"
      "3 input verification failed (sha256, lock), 4 missing input,\n"
      "5 external tool failed, 6 out of disk space, 130 interrupted."};
  return kiln::run_program(program, argc, argv);
}
