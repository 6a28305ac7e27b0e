// The few org.freedesktop.systemd1.Manager calls kiln-firstboot makes, over
// an sd-bus connection: straight to systemd's private socket
// (unix:path=/run/systemd/private, so no dbus-daemon is needed this early in
// boot), or the system bus when that is not available.
#pragma once

#include <string>
#include <vector>

#include "util/sd_bus_ptr.hpp"

namespace kiln::firstboot {

class SystemdManager {
 public:
  // Takes a started connection (tests pass one end of a socket pair).
  explicit SystemdManager(SdBusPtr bus);
  // /run/systemd/private first, then the system bus.
  static SystemdManager connect();

  // daemon-reload; returns when systemd has reloaded.
  void reload();
  // EnableUnitFiles(files, runtime=false, force=false); true when it changed
  // anything. Enabling only adds symlinks for later boots: starting the unit
  // now needs no reload.
  bool enable_unit_files(const std::vector<std::string>& units);
  // StartUnit(unit, mode); returns the job path without waiting for the job.
  std::string start_unit(const std::string& unit, const std::string& mode = "replace");
  // RestartUnit(unit, "replace"): restarts a running service, or starts a
  // stopped one, so it reads new configuration. (A reload is no use for
  // networkd: its ExecReload is `networkctl reload`, which needs D-Bus, and
  // kiln images have no dbus-daemon this early.)
  std::string restart_unit(const std::string& unit);
  // TryRestartUnit(unit, "replace"): restarts the unit only if it runs.
  std::string try_restart_unit(const std::string& unit);
  // The unit's ActiveState ("active", "activating", "failed", ...).
  std::string active_state(const std::string& unit);

 private:
  // A unit job method with mode "replace"; returns the job path.
  std::string unit_job(const char* method, const std::string& unit, const std::string& what);
  SdBusPtr bus_;
};

}  // namespace kiln::firstboot
