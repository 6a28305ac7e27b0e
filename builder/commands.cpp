#include "builder/commands.hpp"

namespace kiln {

std::vector<Command> kiln_commands() {
  return {
      validate_command(),
      build_command(),
      airgap_command(),
      run_command(),
      seed_command(),
      cluster_command(),
  };
}

}  // namespace kiln
