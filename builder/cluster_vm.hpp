// One cluster node's VM: QEMU daemonized (so it outlives `kiln cluster up`)
// on a qcow2 overlay of the cluster's image, with its seed, its console log,
// a NIC on the cluster's private network (a QEMU socket netdev on a
// multicast group over 127.0.0.1: a shared L2 segment for the cluster's VMs
// and nothing else), a QMP socket and the virtio-serial status port.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "builder/cluster_layout.hpp"
#include "builder/qemu.hpp"

namespace kiln {

// QEMU's command line for `node` (QEMU runs in the node's directory).
std::vector<std::string> node_qemu_argv(const Cluster& c, const ClusterNode& node,
                                        const Firmware& firmware);

// Creates the node's overlay and variable store and starts QEMU; the seed
// must already be at its path. Exit 5 when qemu-img or QEMU fail, with
// QEMU's messages.
void start_node_vm(const Cluster& c, const ClusterNode& node, const Firmware& firmware);

// The pid of the node's QEMU while it runs (checked against its command
// line, so a recycled pid is never mistaken for it).
std::optional<pid_t> node_vm_pid(const Cluster& c, const ClusterNode& node);

// Asks the guest to power off (QMP system_powerdown: the ACPI power
// button). False when QMP does not answer.
bool request_powerdown(const Cluster& c, const ClusterNode& node,
                       std::chrono::milliseconds budget = std::chrono::seconds(5));

// SIGTERM, then SIGKILL after `grace`; returns once the process is gone.
void kill_vm(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(5));

// Whether `pid` is a live (not zombie) process.
bool process_alive(pid_t pid);

}  // namespace kiln
