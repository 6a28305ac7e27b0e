// The `kiln-firstboot` command table; each command lives in its own cli_*.cpp.
#pragma once

#include <vector>

#include "util/cli_main.hpp"

namespace kiln::firstboot {

std::vector<Command> firstboot_commands();

}  // namespace kiln::firstboot
