// The guest side of kiln's status channel: `kiln-firstboot status-port`
// answers requests that arrive on a virtio-serial port
// (/dev/virtio-ports/org.kiln.status, which `kiln cluster` gives every VM)
// with one JSON line describing the node: its first-boot result, its RKE2
// role and whether that role's unit is up.
//
// Protocol: the host writes "status ID\n" (ID: up to 32 letters, digits or
// '-'); the guest answers one line, the reply JSON with "id": ID. The host
// may also write "poweroff ID\n": the guest answers {"id": ID, "poweroff":
// "started"} and shuts down cleanly (poweroff.target), which `kiln cluster
// down` uses because images without logind ignore the ACPI power button.
// Anything else gets {"id": null, "error": "..."}. The ID lets the host drop
// answers to requests an earlier, impatient client left behind in the port.
//
// Secrets never reach the reply: it is built from a fixed set of fields of
// /run/kiln/status.json (which holds none) and from systemd's unit states,
// never from user-data or RKE2's configuration.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace kiln::firstboot {

constexpr const char* kStatusPortPath = "/dev/virtio-ports/org.kiln.status";
constexpr const char* kStatusPortName = "org.kiln.status";
constexpr int kStatusProtocolVersion = 1;

// What systemd says about one unit.
struct UnitState {
  std::string load;        // "loaded", "not-found", ...
  std::string active;      // "active", "activating", "inactive", "failed", ...
  std::string sub;         // "running", "dead", ...
  std::string file_state;  // "enabled", "disabled", "" when there is no unit file
};
using UnitQuery = std::function<UnitState(const std::string& unit)>;

struct StatusSources {
  std::string root = "/";  // status.json, hostname and boot id are read under it
  std::string status_file = "/run/kiln/status.json";
  UnitQuery units;
  std::function<void()> power_off;  // starts a clean shutdown; may throw kiln::Error
};

// The reply for one request, without its id. Fields:
//   hostname, boot_id, uptime_s,
//   firstboot: {unit, result, exit_code, instance_id, datasource, errors, warnings}
//              (result "pending" before the agent wrote a status),
//   role: {name: "server"|"agent"|null, unit, file_state, active, sub},
//   ready: the role's unit is active (RKE2's units are Type=notify, so
//          "active" means RKE2 said READY=1).
nlohmann::json status_reply(const StatusSources& sources);

// The answer line (with "\n") to one request line (without it).
std::string answer_request(const std::string& line, const StatusSources& sources);

// Serves the port open on `fd` (non-blocking): reads requests, writes
// answers, and waits while no host is connected. Returns when `stop()` says
// so (checked at least every `tick`).
void serve_status_port(int fd, const StatusSources& sources, const std::function<bool()>& stop,
                       std::chrono::milliseconds tick = std::chrono::milliseconds(500));

}  // namespace kiln::firstboot
