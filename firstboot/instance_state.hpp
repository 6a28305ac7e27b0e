// Per-instance state under /var/lib/kiln (mode 0700) in the target root:
//   instances/ID/user-data, meta-data, network-config  raw data, 0600
//   instances/ID/in-progress    a run started and has not finished
//   instances/ID/progress.json  items that must happen once (commands,
//                               appends), and for each append the digests
//                               of the file before and after it
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

// What an append of write_files did to its file: the sha256 of the content
// it appended to and of the result. Recorded before the file is replaced
// and kept once the append is done: a re-run (after power loss, or with
// --force) can then tell "it landed" (the file holds the result) from "an
// earlier step of this run put the file back as it was" (the file holds
// the base again, as after a write_files entry that rewrote it), where the
// append must happen again to converge on what an uninterrupted run wrote.
struct AppendRecord {
  std::string base_sha256;  // empty in records of older kiln-firstboot versions
  std::string result_sha256;
};

class InstanceState {
 public:
  InstanceState(const RootDir& root, std::string instance_id);

  [[nodiscard]] bool complete() const;
  [[nodiscard]] bool was_interrupted() const;
  // Stores the raw data and marks the run as in progress.
  void begin(const SeedData& seed);
  [[nodiscard]] bool done(const std::string& item) const;
  [[nodiscard]] std::optional<AppendRecord> append_record(const std::string& item) const;
  // Durable before the append's file is replaced.
  void record_append(const std::string& item, const AppendRecord& record);
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
  std::map<std::string, AppendRecord> appends_;
};

}  // namespace kiln::firstboot
