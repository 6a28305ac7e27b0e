// What a run tells the world: /run/kiln/status.json (mode 0644: it never
// holds secrets, only names, counts and positions), one structured journal
// event per step (sd_journal_send, when enabled), sd_notify STATUS= updates
// and a one-line summary for the console. Callers pass messages that hold no
// secret values; the reporter adds none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostics.hpp"
#include "util/log.hpp"

namespace kiln::firstboot {

struct ReporterOptions {
  std::string status_path;  // empty: no status file
  bool journal = false;     // send structured events to the journal
};

struct StepRecord {
  std::string name;
  std::string status;  // ok, failed, skipped
  long long duration_ms = 0;
  std::string detail;
};

class Reporter {
 public:
  explicit Reporter(ReporterOptions options);

  void set_datasource(const std::string& source, const std::string& location);
  void set_instance(const std::string& id);
  // How long finding the data took (every source tried, the seed read).
  void set_probe_ms(long long ms) { probe_ms_ = ms; }
  void step(const StepRecord& record);
  void warning(const std::string& message);
  void error(const std::string& message);
  void diagnostics(const std::vector<Diagnostic>& items);
  // Output of a bootcmd/runcmd command: to the journal, or debug messages.
  void command_output(const std::string& item, std::string_view chunk);
  void notify_status(const std::string& status) const;
  void set_role(const std::string& unit, bool started);
  // Records the result, writes status.json, sends the summary event.
  void finish(const std::string& result, int exit_code);
  // Writes status.json as it stands (the result is "running" until finish).
  void write_status() const;
  [[nodiscard]] std::string summary() const;
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }
  [[nodiscard]] bool any_step_failed() const;

 private:
  void journal(const std::vector<std::string>& fields) const;

  ReporterOptions options_;
  std::string started_at_;
  std::string finished_at_;
  std::string source_;
  std::string location_;
  std::string instance_id_;
  long long probe_ms_ = -1;
  std::vector<StepRecord> steps_;
  std::vector<std::string> warnings_;
  std::vector<std::string> errors_;
  std::string role_unit_;
  bool role_started_ = false;
  std::string result_ = "running";
  int exit_code_ = -1;
  long long total_ms_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kiln::firstboot
