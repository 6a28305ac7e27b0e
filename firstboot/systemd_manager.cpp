#include "firstboot/systemd_manager.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/c_ptr.hpp"
#include "util/error.hpp"

namespace kiln::firstboot {
namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

[[noreturn]] void throw_bus(const std::string& what, int r, SdBusError& error) {
  std::string reason =
      error.is_set() && error.message() != nullptr ? error.message() : std::strerror(-r);
  throw Error(what + ": " + reason, 1, -r);
}

}  // namespace

SystemdManager::SystemdManager(SdBusPtr bus) : bus_(std::move(bus)) {}

SystemdManager SystemdManager::connect() {
  sd_bus* raw = nullptr;
  if (sd_bus_new(&raw) >= 0) {
    SdBusPtr bus(raw);
    if (sd_bus_set_address(bus.get(), "unix:path=/run/systemd/private") >= 0 &&
        sd_bus_start(bus.get()) >= 0) {
      return SystemdManager(std::move(bus));
    }
  }
  raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0) {
    throw Error(
        std::string(
            "connect to systemd: /run/systemd/private and the system bus are unavailable (") +
            std::strerror(-r) + ")",
        1, -r);
  }
  return SystemdManager(SdBusPtr(raw));
}

void SystemdManager::reload() {
  SdBusError error;
  sd_bus_message* reply = nullptr;
  int r =
      sd_bus_call_method(bus_.get(), kService, kPath, kManager, "Reload", error.get(), &reply, "");
  SdBusMessagePtr owned(reply);
  if (r < 0) throw_bus("reload systemd units", r, error);
}

bool SystemdManager::enable_unit_files(const std::vector<std::string>& units) {
  const std::string what = "enable unit '" + (units.empty() ? std::string() : units.front()) + "'";
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_call(bus_.get(), &raw, kService, kPath, kManager,
                                         "EnableUnitFiles");
  SdBusMessagePtr call(raw);
  if (r < 0) throw Error(what + ": " + std::strerror(-r), 1, -r);
  r = sd_bus_message_open_container(call.get(), 'a', "s");
  for (const auto& u : units) {
    if (r >= 0) r = sd_bus_message_append(call.get(), "s", u.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(call.get());
  if (r >= 0) r = sd_bus_message_append(call.get(), "bb", 0, 0);
  if (r < 0) throw Error(what + ": " + std::strerror(-r), 1, -r);
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  r = sd_bus_call(bus_.get(), call.get(), 0, error.get(), &reply_raw);
  SdBusMessagePtr reply(reply_raw);
  if (r < 0) throw_bus(what, r, error);
  int carries_install_info = 0;
  r = sd_bus_message_read(reply.get(), "b", &carries_install_info);
  if (r >= 0) r = sd_bus_message_enter_container(reply.get(), 'a', "(sss)");
  if (r < 0) throw Error(what + ": unexpected reply from systemd", 1, -r);
  bool changed = false;
  const char* type = nullptr;
  const char* path = nullptr;
  const char* source = nullptr;
  while ((r = sd_bus_message_read(reply.get(), "(sss)", &type, &path, &source)) > 0) changed = true;
  if (r < 0) throw Error(what + ": unexpected reply from systemd", 1, -r);
  return changed;
}

std::string SystemdManager::start_unit(const std::string& unit, const std::string& mode) {
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  int r = sd_bus_call_method(bus_.get(), kService, kPath, kManager, "StartUnit", error.get(),
                             &reply_raw, "ss", unit.c_str(), mode.c_str());
  SdBusMessagePtr reply(reply_raw);
  if (r < 0) throw_bus("start unit '" + unit + "'", r, error);
  const char* job = nullptr;
  if (sd_bus_message_read(reply.get(), "o", &job) < 0)
    throw Error("start unit '" + unit + "': unexpected reply from systemd");
  return job;
}

std::string SystemdManager::restart_unit(const std::string& unit) {
  return unit_job("RestartUnit", unit, "restart unit '" + unit + "'");
}

std::string SystemdManager::try_restart_unit(const std::string& unit) {
  return unit_job("TryRestartUnit", unit, "try-restart unit '" + unit + "'");
}

std::string SystemdManager::unit_job(const char* method, const std::string& unit,
                                     const std::string& what) {
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  int r = sd_bus_call_method(bus_.get(), kService, kPath, kManager, method, error.get(), &reply_raw,
                             "ss", unit.c_str(), "replace");
  SdBusMessagePtr reply(reply_raw);
  if (r < 0) throw_bus(what, r, error);
  const char* job = nullptr;
  if (sd_bus_message_read(reply.get(), "o", &job) < 0)
    throw Error(what + ": unexpected reply from systemd");
  return job;
}

std::string SystemdManager::active_state(const std::string& unit) {
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  int r = sd_bus_call_method(bus_.get(), kService, kPath, kManager, "LoadUnit", error.get(),
                             &reply_raw, "s", unit.c_str());
  SdBusMessagePtr reply(reply_raw);
  if (r < 0) throw_bus("look up unit '" + unit + "'", r, error);
  const char* path = nullptr;
  if (sd_bus_message_read(reply.get(), "o", &path) < 0)
    throw Error("look up unit '" + unit + "': unexpected reply");
  SdBusError perror;
  char* state = nullptr;
  r = sd_bus_get_property_string(bus_.get(), kService, path, "org.freedesktop.systemd1.Unit",
                                 "ActiveState", perror.get(), &state);
  if (r < 0) throw_bus("read state of unit '" + unit + "'", r, perror);
  CPtr<char, ::free> owned(state);  // sd-bus hands out malloc'd strings
  return owned.get();
}

}  // namespace kiln::firstboot
