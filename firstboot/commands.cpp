#include "firstboot/commands.hpp"

namespace kiln::firstboot {

std::vector<Command> firstboot_commands() { return {}; }

}  // namespace kiln::firstboot
