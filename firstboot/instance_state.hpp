// Per-instance state under /var/lib/kiln (mode 0700) in the target root:
//   instances/ID/user-data, meta-data, network-config  raw data, 0600
//   instances/ID/in-progress    a run started and has not finished
//   instances/ID/progress.json  items that must happen once (commands,
//                               appends), with the expected result of an
//                               append that was under way
//   instances/ID/complete       the instance was applied successfully
//   last-instance               the id of the last completed instance
// A reboot finds `complete` and does nothing; a new instance-id (a cloned
// disk with a new seed) has no state yet and runs again; an interrupted run
// finds `in-progress` and converges.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "firstboot/seed_data.hpp"
#include "util/root_dir.hpp"

namespace kiln::firstboot {

constexpr const char* kStateDir = "/var/lib/kiln";

class InstanceState {
 public:
  InstanceState(const RootDir& root, std::string instance_id);

  [[nodiscard]] bool complete() const;
  [[nodiscard]] bool was_interrupted() const;
  // Stores the raw data and marks the run as in progress.
  void begin(const SeedData& seed);
  [[nodiscard]] bool done(const std::string& item) const;
  [[nodiscard]] std::optional<std::string> pending(const std::string& item) const;
  void set_pending(const std::string& item, const std::string& expected_sha256);
  void mark_done(const std::string& item);
  // Marks the instance complete and clears the in-progress marker.
  void finish();
  [[nodiscard]] std::string dir() const { return dir_; }

 private:
  void load();
  void save() const;

  const RootDir& root_;
  std::string id_;
  std::string dir_;  // relative to the root
  std::set<std::string> done_;
  std::map<std::string, std::string> pending_;
};

}  // namespace kiln::firstboot
