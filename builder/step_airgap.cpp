// PLACEHOLDER owned by the airgap work: replace with the real step.
#include "builder/steps.hpp"
#include "util/error.hpp"

namespace kiln {

void run_airgap_step(BuildContext& /*ctx*/) { throw Error("run_airgap_step: not implemented yet"); }

}  // namespace kiln
