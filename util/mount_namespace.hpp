// A mount namespace of the process's own.
#pragma once

namespace kiln {

// Moves the calling process into a new mount namespace whose mounts do not
// propagate back (MS_PRIVATE). Call it while the process has one thread:
// unshare(2) changes only the calling thread's view. Throws on failure
// (EPERM without CAP_SYS_ADMIN, for example).
void enter_private_mount_namespace();

}  // namespace kiln
