// The `kiln-firstboot` command table; each command lives in its own cli_*.cpp.
#pragma once

#include <vector>

#include "util/cli_main.hpp"

namespace kiln::firstboot {

std::vector<Command> firstboot_commands();

Command run_command();
Command apply_command();
Command validate_command();
Command status_port_command();

}  // namespace kiln::firstboot
