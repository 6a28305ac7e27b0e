// A stand-in for systemd's manager object, served with sd-bus over one end
// of a socket pair, so the agent's bus calls (Reload, EnableUnitFiles,
// StartUnit, RestartUnit, LoadUnit + ActiveState) can be checked
// without a running systemd. It records every call it receives.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "firstboot/systemd_manager.hpp"

namespace kiln::test {

class FakeSystemd {
 public:
  FakeSystemd();
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;
  ~FakeSystemd();

  // The client end, as a SystemdManager (once).
  firstboot::SystemdManager connect();
  // "Reload", "EnableUnitFiles rke2-server.service", "StartUnit rke2-server.service replace", ...
  std::vector<std::string> calls();

  // Behaviour knobs, set before the calls happen.
  void fail_start_with(const std::string& message) { start_error_ = message; }
  void enable_reports_changes(bool on) { enable_changes_ = on; }
  // ActiveState answers, one per query; the last one repeats.
  void active_states(std::vector<std::string> states) { states_ = std::move(states); }

  // Used by the vtable callbacks.
  void record(const std::string& call);
  std::string start_error_;
  bool enable_changes_ = true;
  std::vector<std::string> states_{"active"};
  size_t state_queries_ = 0;

 private:
  int client_fd_ = -1;
  int server_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

}  // namespace kiln::test
