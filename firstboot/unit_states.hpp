// Unit states for the status channel, read from systemd over sd-bus
// (LoadUnit, then the Unit interface's LoadState, ActiveState, SubState and
// UnitFileState properties), and the clean power-off it can request. The connection goes to
// systemd's private socket first, as the agent's does, so no dbus-daemon is needed.
#pragma once

#include "firstboot/status_port.hpp"

namespace kiln::firstboot {

// A UnitQuery that connects on first use and reconnects after a failure
// (systemd re-executing, for example). A failed query throws kiln::Error.
UnitQuery systemd_unit_query();

// Starts poweroff.target the way `systemctl poweroff` does (job mode
// replace-irreversibly) and returns without waiting for it.
std::function<void()> systemd_power_off();

}  // namespace kiln::firstboot
