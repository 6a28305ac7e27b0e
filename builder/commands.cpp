#include "builder/commands.hpp"

namespace kiln {

std::vector<Command> kiln_commands() {
  return {
      validate_command(),
  };
}

}  // namespace kiln
