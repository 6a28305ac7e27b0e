#include "firstboot/unit_states.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "util/c_ptr.hpp"
#include "util/error.hpp"
#include "util/sd_bus_ptr.hpp"

namespace kiln::firstboot {
namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";

[[noreturn]] void throw_bus(const std::string& what, int r, SdBusError& error) {
  std::string reason =
      error.is_set() && error.message() != nullptr ? error.message() : std::strerror(-r);
  throw Error(what + ": " + reason, 1, -r);
}

SdBusPtr connect_systemd() {
  sd_bus* raw = nullptr;
  if (sd_bus_new(&raw) >= 0) {
    SdBusPtr bus(raw);
    if (sd_bus_set_address(bus.get(), "unix:path=/run/systemd/private") >= 0 &&
        sd_bus_start(bus.get()) >= 0) {
      return bus;
    }
  }
  raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0) {
    throw Error(std::string("connect to systemd: /run/systemd/private and the system bus are "
                            "unavailable (") +
                    std::strerror(-r) + ")",
                1, -r);
  }
  return SdBusPtr(raw);
}

std::string property(sd_bus* bus, const std::string& path, const std::string& unit,
                     const char* name) {
  SdBusError error;
  char* value = nullptr;
  int r = sd_bus_get_property_string(bus, kService, path.c_str(), kUnitInterface, name, error.get(),
                                     &value);
  CPtr<char, ::free> owned(value);  // sd-bus hands out malloc'd strings
  if (r < 0) throw_bus("read " + std::string(name) + " of unit '" + unit + "'", r, error);
  return owned ? owned.get() : "";
}

UnitState query(sd_bus* bus, const std::string& unit) {
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  int r = sd_bus_call_method(bus, kService, "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", "LoadUnit", error.get(),
                             &reply_raw, "s", unit.c_str());
  SdBusMessagePtr reply(reply_raw);
  if (r < 0) throw_bus("look up unit '" + unit + "'", r, error);
  const char* path = nullptr;
  if (sd_bus_message_read(reply.get(), "o", &path) < 0) {
    throw Error("look up unit '" + unit + "': unexpected reply from systemd");
  }
  const std::string object = path;
  UnitState s;
  s.load = property(bus, object, unit, "LoadState");
  s.active = property(bus, object, unit, "ActiveState");
  s.sub = property(bus, object, unit, "SubState");
  s.file_state = property(bus, object, unit, "UnitFileState");
  return s;
}

}  // namespace

UnitQuery systemd_unit_query() {
  auto bus = std::make_shared<SdBusPtr>();
  return [bus](const std::string& unit) {
    if (!*bus) *bus = connect_systemd();
    try {
      return query(bus->get(), unit);
    } catch (const Error&) {
      bus->reset();  // reconnect next time
      throw;
    }
  };
}

std::function<void()> systemd_power_off() {
  return [] {
    SdBusPtr bus = connect_systemd();
    SdBusError error;
    sd_bus_message* reply_raw = nullptr;
    int r = sd_bus_call_method(bus.get(), kService, "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StartUnit", error.get(),
                               &reply_raw, "ss", "poweroff.target", "replace-irreversibly");
    SdBusMessagePtr reply(reply_raw);
    if (r < 0) throw_bus("start unit 'poweroff.target'", r, error);
  };
}

}  // namespace kiln::firstboot
