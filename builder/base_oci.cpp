// PLACEHOLDER owned by the airgap work: replace with the real step.
#include "builder/steps.hpp"
#include "util/error.hpp"

namespace kiln {

void apply_oci_base(BuildContext& /*ctx*/, const spec::OciBase& /*base*/) { throw Error("apply_oci_base: not implemented yet"); }

}  // namespace kiln
