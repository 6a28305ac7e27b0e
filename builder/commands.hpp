// The `kiln` command table; each command lives in its own cli_*.cpp.
#pragma once

#include <vector>

#include "util/cli_main.hpp"

namespace kiln {

Command validate_command();
Command build_command();
Command airgap_command();
Command run_command();
Command seed_command();
Command cluster_command();

std::vector<Command> kiln_commands();

}  // namespace kiln
