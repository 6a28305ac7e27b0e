// Logging and step events. Library code reports through these functions and
// never prints above debug itself; the program's main() installs a sink that
// decides how events look: a human line (with live progress) on a terminal,
// or one JSON object per line with `--json`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

enum class StepStatus { Ok, Failed, Skipped, Cached };
std::string_view to_string(StepStatus s);

// One extra key/value of a step event: a string ("removed": "12 files"),
// or a count, which --json gives as a JSON number.
struct StepField {
  std::string key;
  std::string value;               // as the terminal shows it
  std::optional<uint64_t> number;  // set for counts
};

struct StepEvent {
  std::string step;
  StepStatus status = StepStatus::Ok;
  long long duration_ms = 0;
  std::vector<StepField> fields;
  std::string error;  // set when failed
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void step_started(const std::string& step) = 0;
  virtual void step_finished(const StepEvent& event) = 0;
  virtual void progress(const std::string& step, uint64_t done, uint64_t total,
                        std::string_view unit) = 0;
  virtual void warning(const std::string& message) = 0;
  virtual void debug(const std::string& message) = 0;
};

// Installs the process-wide sink (the default discards all but debug, which
// it prints when KILN_DEBUG is set). Returns the previous one.
std::shared_ptr<EventSink> set_event_sink(std::shared_ptr<EventSink> sink);
EventSink& event_sink();

void log_debug(const std::string& message);
void log_warning(const std::string& message);

// Times one pipeline step. finish() reports it; if the timer is destroyed
// unfinished (an exception unwound through it), it reports a failure.
class StepTimer {
 public:
  explicit StepTimer(std::string step);
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  ~StepTimer();

  void add_field(std::string key, std::string value);
  void add_field(std::string key, const char* value) {
    add_field(std::move(key), std::string(value));
  }
  // A count or size in bytes: a JSON number with --json.
  void add_field(std::string key, uint64_t number);
  void progress(uint64_t done, uint64_t total, std::string_view unit = "bytes");
  void finish(StepStatus status = StepStatus::Ok);
  void fail(const std::string& error);
  [[nodiscard]] long long elapsed_ms() const;
  [[nodiscard]] const std::string& name() const { return event_.step; }

 private:
  StepEvent event_;
  std::chrono::steady_clock::time_point start_;
  bool finished_ = false;
};

// Sinks main() can choose from.
// show_steps false: warnings, errors and debug only (for output that already
// goes to a log with the steps as structured events).
std::shared_ptr<EventSink> make_terminal_sink(int fd, bool verbose, bool show_steps = true);
std::shared_ptr<EventSink> make_json_sink(int fd, bool verbose);

// Whether `fd` is the stream systemd connected to the journal for this
// service ($JOURNAL_STREAM names it as DEVICE:INODE; see
// sd_journal_stream_fd(3)).
bool fd_is_journal_stream(int fd);

}  // namespace kiln
