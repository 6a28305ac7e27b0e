// Running a piece of a test in a network namespace of its own, where only
// a loopback interface exists and it starts down: no route to anything.
#pragma once

#include <functional>

namespace kiln::test {

// Forks; the child enters a new network namespace, runs `body` and exits
// with its result (125 when the namespace could not be made, 124 when
// `body` threw). Returns the child's exit status. Needs root.
int run_in_new_network_namespace(const std::function<int()>& body);

// Brings this namespace's loopback interface up; throws on failure.
void bring_loopback_up();

}  // namespace kiln::test
