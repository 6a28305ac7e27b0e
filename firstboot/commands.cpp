#include "firstboot/commands.hpp"

namespace kiln::firstboot {

std::vector<Command> firstboot_commands() {
  return {
      run_command(),
      apply_command(),
      validate_command(),
      status_port_command(),
  };
}

}  // namespace kiln::firstboot
