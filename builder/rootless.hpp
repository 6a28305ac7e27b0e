// Rootless builds. An image tree holds files owned by many users (root,
// systemd's, etcd's), and only root can create those. So `kiln build` run by
// an ordinary user re-executes itself inside a new user namespace in which
// it is root: namespace uid 0 maps to the user, and namespace uids 1..N map
// to the user's subordinate range from /etc/subuid (likewise gids), set up by
// the setuid helpers newuidmap and newgidmap (Debian's uidmap package).
// Inside, chown works for every id an image uses, the files it creates
// outside the tree (outputs, cache, kiln.lock) belong to the user, and
// nothing else on the machine is reachable with more rights than the user
// had.
#pragma once

#include <string>

namespace kiln {

// Set in the re-executed build's environment.
constexpr const char* kRootlessEnv = "KILN_ROOTLESS";

// True in a build that rootless re-exec started (uid 0 of its namespace).
bool in_rootless_namespace();

struct SubordinateRange {
  unsigned long start = 0;
  unsigned long count = 0;
};

// The first range for `user` (a name or a numeric uid) in an /etc/subuid or
// /etc/subgid style text; count 0 when there is none.
SubordinateRange find_subordinate_range(const std::string& text, const std::string& user,
                                        unsigned long id);

// Re-runs this command line (as /proc/self/cmdline has it) as root of a new
// user namespace and returns its exit status; an interrupt is passed on to
// it. Throws (exit 1) naming what is missing when the user has no
// subordinate ids or newuidmap/newgidmap are not installed.
int reexec_rootless();

}  // namespace kiln
