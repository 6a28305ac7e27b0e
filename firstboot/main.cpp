#include "firstboot/commands.hpp"
#include "util/cli_main.hpp"

#ifndef KILN_VERSION
#error "KILN_VERSION must be defined by the build"
#endif

int main(int argc, char** argv) {
  kiln::Program program{
      "kiln-firstboot", KILN_VERSION,
      "Configure a kiln node on its first boot from cloud-init data, then start its RKE2 role.",
      kiln::firstboot::firstboot_commands(),
      "Exit codes: 0 ok, 1 runtime failure, 2 invalid data (or usage), 3 no datasource."};
  return kiln::run_program(program, argc, argv);
}
