// Helpers for the cluster [qemu] test: the image spec it builds, the
// in-guest check markers (tests/qemu/cluster-overlay's cluster-check prints
// "KILN-CHECK key=value ..." lines on each node's serial console), and
// bounded waits that fail naming the node and its last console lines.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace kiln::cluster_test {

// images/default.yaml with the stand-in RKE2 artifacts, the stand-in
// workload archive in airgap.images and the test overlay added.
std::string cluster_spec_text();

// One boot's KILN-CHECK values, in the order printed ("boot=N" starts a
// boot). A key printed twice keeps its last value, except token-leak,
// whose values are joined with ','.
using Checks = std::map<std::string, std::string>;
std::vector<Checks> read_checks(const std::string& console_log);

// Waits until the console log shows "KILN-CHECK done=N"; fails the
// test (REQUIRE) with the node's name and last 30 console lines otherwise.
void wait_for_checks(const std::string& node, const std::string& console_log, int boot,
                     std::chrono::steady_clock::time_point deadline);

// The last 30 console lines, for failure messages.
std::string console_tail_of(const std::string& console_log);

}  // namespace kiln::cluster_test
