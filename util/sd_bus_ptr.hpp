// RAII for sd-bus connections, messages, slots and errors.
#pragma once

#include <systemd/sd-bus.h>

#include "util/c_ptr.hpp"

namespace kiln {

using SdBusPtr = CPtr<sd_bus, sd_bus_flush_close_unref>;
using SdBusMessagePtr = CPtr<sd_bus_message, sd_bus_message_unref>;
using SdBusSlotPtr = CPtr<sd_bus_slot, sd_bus_slot_unref>;

// An sd_bus_error that frees itself.
class SdBusError {
 public:
  SdBusError() = default;
  SdBusError(const SdBusError&) = delete;
  SdBusError& operator=(const SdBusError&) = delete;
  ~SdBusError() { sd_bus_error_free(&error_); }
  sd_bus_error* get() { return &error_; }
  [[nodiscard]] bool is_set() const { return sd_bus_error_is_set(&error_) != 0; }
  [[nodiscard]] const char* name() const { return error_.name; }
  [[nodiscard]] const char* message() const { return error_.message; }

 private:
  sd_bus_error error_ = SD_BUS_ERROR_NULL;
};

}  // namespace kiln
