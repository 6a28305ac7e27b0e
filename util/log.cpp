#include "util/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

class DefaultSink final : public EventSink {
 public:
  void step_started(const std::string&) override {}
  void step_finished(const StepEvent&) override {}
  void progress(const std::string&, uint64_t, uint64_t, std::string_view) override {}
  void warning(const std::string&) override {}
  void debug(const std::string& message) override {
    if (std::getenv("KILN_DEBUG") != nullptr) {
      std::string line = "debug: " + message + "\n";
      (void)!::write(2, line.data(), line.size());
    }
  }
};

std::mutex g_sink_mutex;
std::shared_ptr<EventSink>& sink_slot() {
  static std::shared_ptr<EventSink> sink = std::make_shared<DefaultSink>();
  return sink;
}

void emit(int fd, const std::string& s) {
  try {
    write_all(fd, s, "log output");
  } catch (...) {  // NOLINT(bugprone-empty-catch): logging must never throw
  }
}

class TerminalSink final : public EventSink {
 public:
  TerminalSink(int fd, bool verbose, bool show_steps)
      : fd_(fd), verbose_(verbose), show_steps_(show_steps), tty_(::isatty(fd) == 1) {}

  void step_started(const std::string& step) override {
    if (!show_steps_) return;
    std::lock_guard lock(mu_);
    if (tty_) {
      clear_progress();
      emit(fd_, "  " + step + " ...");
      progress_shown_ = true;
    }
  }
  void step_finished(const StepEvent& e) override {
    if (!show_steps_) return;
    std::lock_guard lock(mu_);
    clear_progress();
    std::string line = "  " + e.step + ": " + std::string(to_string(e.status)) + " (" +
                       human_duration_ms(e.duration_ms) + ")";
    for (const auto& f : e.fields) line += ", " + f.key + " " + f.value;
    emit(fd_, line + "\n");
  }
  void progress(const std::string& step, uint64_t done, uint64_t total,
                std::string_view unit) override {
    if (!tty_ || !show_steps_) return;
    std::lock_guard lock(mu_);
    clear_progress();
    std::string line = "  " + step + " ";
    if (unit == "bytes") {
      line += human_bytes(done);
      if (total > 0) line += " / " + human_bytes(total);
    } else {
      line += std::to_string(done);
      if (total > 0) line += "/" + std::to_string(total);
      line += " " + std::string(unit);
    }
    if (total > 0) line += " (" + std::to_string(done * 100 / total) + "%)";
    emit(fd_, line);
    progress_shown_ = true;
  }
  void warning(const std::string& message) override {
    std::lock_guard lock(mu_);
    clear_progress();
    emit(fd_, "warning: " + message + "\n");
  }
  void debug(const std::string& message) override {
    if (!verbose_) return;
    std::lock_guard lock(mu_);
    clear_progress();
    emit(fd_, "debug: " + message + "\n");
  }

 private:
  void clear_progress() {
    if (progress_shown_ && tty_) emit(fd_, "\r\033[K");
    progress_shown_ = false;
  }
  int fd_;
  bool verbose_;
  bool show_steps_;
  bool tty_;
  bool progress_shown_ = false;
  std::mutex mu_;
};

class JsonSink final : public EventSink {
 public:
  JsonSink(int fd, bool verbose) : fd_(fd), verbose_(verbose) {}
  void step_started(const std::string& step) override {
    line({{"event", "step-start"}, {"step", step}});
  }
  void step_finished(const StepEvent& e) override {
    nlohmann::json j = {{"event", "step"},
                        {"step", e.step},
                        {"status", to_string(e.status)},
                        {"duration_ms", e.duration_ms}};
    for (const auto& f : e.fields) {
      if (f.number) {
        j[f.key] = *f.number;
      } else {
        j[f.key] = f.value;
      }
    }
    if (!e.error.empty()) j["error"] = e.error;
    line(j);
  }
  void progress(const std::string& step, uint64_t done, uint64_t total,
                std::string_view unit) override {
    // Throttle: one progress event per whole percent.
    std::lock_guard lock(mu_);
    uint64_t pct = total > 0 ? done * 100 / total : done;
    if (step == last_step_ && pct == last_pct_) return;
    last_step_ = step;
    last_pct_ = pct;
    emit(fd_, nlohmann::json({{"event", "progress"},
                              {"step", step},
                              {"done", done},
                              {"total", total},
                              {"unit", unit}})
                      .dump() +
                  "\n");
  }
  void warning(const std::string& message) override {
    line({{"event", "warning"}, {"message", message}});
  }
  void debug(const std::string& message) override {
    if (verbose_) line({{"event", "debug"}, {"message", message}});
  }

 private:
  void line(const nlohmann::json& j) {
    std::lock_guard lock(mu_);
    emit(fd_, j.dump() + "\n");
  }
  int fd_;
  bool verbose_;
  std::mutex mu_;
  std::string last_step_;
  uint64_t last_pct_ = ~uint64_t{0};
};

}  // namespace

std::string_view to_string(StepStatus s) {
  switch (s) {
    case StepStatus::Ok:
      return "ok";
    case StepStatus::Failed:
      return "failed";
    case StepStatus::Skipped:
      return "skipped";
    case StepStatus::Cached:
      return "cached";
  }
  return "unknown";
}

std::shared_ptr<EventSink> set_event_sink(std::shared_ptr<EventSink> sink) {
  std::lock_guard lock(g_sink_mutex);
  return std::exchange(sink_slot(), std::move(sink));
}

EventSink& event_sink() {
  std::lock_guard lock(g_sink_mutex);
  return *sink_slot();
}

void log_debug(const std::string& message) { event_sink().debug(message); }
void log_warning(const std::string& message) { event_sink().warning(message); }

StepTimer::StepTimer(std::string step) : start_(std::chrono::steady_clock::now()) {
  event_.step = std::move(step);
  event_sink().step_started(event_.step);
}

StepTimer::~StepTimer() {
  if (!finished_) {
    event_.status = StepStatus::Failed;
    event_.duration_ms = elapsed_ms();
    event_sink().step_finished(event_);
  }
}

void StepTimer::add_field(std::string key, std::string value) {
  event_.fields.push_back({std::move(key), std::move(value), std::nullopt});
}

void StepTimer::add_field(std::string key, uint64_t number) {
  event_.fields.push_back({std::move(key), std::to_string(number), number});
}

void StepTimer::progress(uint64_t done, uint64_t total, std::string_view unit) {
  event_sink().progress(event_.step, done, total, unit);
}

void StepTimer::finish(StepStatus status) {
  if (finished_) return;
  finished_ = true;
  event_.status = status;
  event_.duration_ms = elapsed_ms();
  event_sink().step_finished(event_);
}

void StepTimer::fail(const std::string& error) {
  if (finished_) return;
  finished_ = true;
  event_.status = StepStatus::Failed;
  event_.error = error;
  event_.duration_ms = elapsed_ms();
  event_sink().step_finished(event_);
}

long long StepTimer::elapsed_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

std::shared_ptr<EventSink> make_terminal_sink(int fd, bool verbose, bool show_steps) {
  return std::make_shared<TerminalSink>(fd, verbose, show_steps);
}

bool fd_is_journal_stream(int fd) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}
std::shared_ptr<EventSink> make_json_sink(int fd, bool verbose) {
  return std::make_shared<JsonSink>(fd, verbose);
}

}  // namespace kiln
