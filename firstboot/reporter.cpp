#include "firstboot/reporter.hpp"

#include <fcntl.h>

#include <ctime>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Reporter::Reporter(ReporterOptions options)
    : options_(std::move(options)),
      started_at_(utc_now()),
      start_(std::chrono::steady_clock::now()) {}

void Reporter::set_datasource(const std::string& source, const std::string& location) {
  source_ = source;
  location_ = location;
  journal({"MESSAGE=datasource " + source + (location.empty() ? "" : " (" + location + ")"),
           "PRIORITY=6", "KILN_EVENT=datasource", "KILN_DATASOURCE=" + source,
           "KILN_DATASOURCE_LOCATION=" + location});
}

void Reporter::set_instance(const std::string& id) {
  instance_id_ = id;
}

void Reporter::step(const StepRecord& r) {
  steps_.push_back(r);
  if (r.status == "failed") errors_.push_back(r.name + ": " + r.detail);
  journal({"MESSAGE=step " + r.name + ": " + r.status + " (" + std::to_string(r.duration_ms) +
               " ms)" + (r.detail.empty() ? "" : ": " + r.detail),
           r.status == "failed" ? "PRIORITY=3" : "PRIORITY=6", "KILN_EVENT=step",
           "KILN_STEP=" + r.name, "KILN_STATUS=" + r.status,
           "KILN_DURATION_MS=" + std::to_string(r.duration_ms), "KILN_DETAIL=" + r.detail});
  write_status();
}

void Reporter::warning(const std::string& message) {
  warnings_.push_back(message);
  log_warning(message);
  journal({"MESSAGE=warning: " + message, "PRIORITY=4", "KILN_EVENT=warning"});
}

void Reporter::error(const std::string& message) {
  errors_.push_back(message);
  journal({"MESSAGE=error: " + message, "PRIORITY=3", "KILN_EVENT=error"});
}

void Reporter::diagnostics(const std::vector<Diagnostic>& items) {
  for (const auto& d : items) {
    Diagnostic plain = d;
    plain.warning = false;  // the "warning:" prefix comes from the channel
    if (d.warning) {
      warning(plain.str());
    } else {
      error(plain.str());
    }
  }
}

void Reporter::command_output(const std::string& item, std::string_view chunk) {
  for (const auto& line : split(chunk, '\n')) {
    if (line.empty()) continue;
    if (options_.journal) {
      journal({"MESSAGE=" + line, "PRIORITY=6", "KILN_EVENT=command-output", "KILN_STEP=" + item});
    } else {
      log_debug(item + ": " + line);
    }
  }
}

void Reporter::notify_status(const std::string& status) const {
  // A no-op unless systemd gave us NOTIFY_SOCKET.
  sd_notify(0, ("STATUS=" + status).c_str());
}

void Reporter::set_role(const std::string& unit, bool started) {
  role_unit_ = unit;
  role_started_ = started;
}

bool Reporter::any_step_failed() const {
  for (const auto& s : steps_) {
    if (s.status == "failed") return true;
  }
  return false;
}

void Reporter::finish(const std::string& result, int exit_code) {
  result_ = result;
  exit_code_ = exit_code;
  finished_at_ = utc_now();
  total_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start_)
                  .count();
  write_status();
  journal({"MESSAGE=" + summary(), exit_code == 0 ? "PRIORITY=5" : "PRIORITY=3",
           "KILN_EVENT=result", "KILN_RESULT=" + result,
           "KILN_EXIT_CODE=" + std::to_string(exit_code),
           "KILN_DURATION_MS=" + std::to_string(total_ms_)});
  notify_status(summary());
}

void Reporter::write_status() const {
  if (options_.status_path.empty()) return;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : steps_) {
    nlohmann::json j = {{"name", s.name}, {"status", s.status}, {"duration_ms", s.duration_ms}};
    if (!s.detail.empty()) j["detail"] = s.detail;
    steps.push_back(j);
  }
  nlohmann::json status = {
      {"agent", "kiln-firstboot"},
      {"started_at", started_at_},
      {"datasource", source_.empty()
                         ? nlohmann::json(nullptr)
                         : nlohmann::json({{"name", source_}, {"location", location_}})},
      {"instance_id",
       instance_id_.empty() ? nlohmann::json(nullptr) : nlohmann::json(instance_id_)},
      {"steps", steps},
      {"warnings", warnings_},
      {"errors", errors_},
      {"result", result_},
  };
  if (probe_ms_ >= 0) status["probe_ms"] = probe_ms_;
  if (exit_code_ >= 0) {
    status["exit_code"] = exit_code_;
    status["finished_at"] = finished_at_;
    status["duration_ms"] = total_ms_;
  }
  if (!role_unit_.empty()) status["role"] = {{"unit", role_unit_}, {"started", role_started_}};
  // Replaced whole (temp file + rename) so readers never see half a file,
  // but not fsynced: it is a report on /run (tmpfs), rewritten after every
  // step, and durability would only slow the boot down.
  const std::string dir = dirname_of(options_.status_path);
  mkdir_p(dir, 0755);
  const std::string temp = options_.status_path + ".kiln-tmp";
  {
    UniqueFd fd = open_file(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (::fchmod(fd.get(), 0644) != 0) throw_errno("chmod", temp);
    write_all(fd.get(), status.dump(2) + "\n", temp);
  }
  if (::rename(temp.c_str(), options_.status_path.c_str()) != 0)
    throw_errno("rename into place", options_.status_path);
}

std::string Reporter::summary() const {
  std::string s = "kiln-firstboot: ";
  if (result_ == "no-datasource") return s + "no datasource had data; nothing applied";
  std::string what = instance_id_.empty() ? "data" : "instance " + instance_id_;
  if (!source_.empty()) what += " from " + source_ + (location_.empty() ? "" : " " + location_);
  size_t ok = 0;
  for (const auto& st : steps_) ok += st.status == "ok" ? 1 : 0;
  if (result_ == "already-applied") return s + what + ": already applied; nothing to do";
  if (result_ == "invalid") {
    return s + what + ": invalid (" + std::to_string(errors_.size()) + " error" +
           (errors_.size() == 1 ? "" : "s") + "); nothing applied" +
           (role_unit_.empty() ? "" : ", " + role_unit_ + " not started");
  }
  s += what + ": " + (result_ == "ok" ? "applied" : result_) + " (" + std::to_string(ok) + "/" +
       std::to_string(steps_.size()) + " steps ok, " + human_duration_ms(total_ms_) + ")";
  if (!role_unit_.empty())
    s += role_started_ ? ", started " + role_unit_ : ", " + role_unit_ + " not started";
  if (!warnings_.empty())
    s += ", " + std::to_string(warnings_.size()) + " warning" + (warnings_.size() == 1 ? "" : "s");
  return s;
}

void Reporter::journal(const std::vector<std::string>& fields) const {
  if (!options_.journal) return;
  std::vector<std::string> all = fields;
  all.emplace_back("SYSLOG_IDENTIFIER=kiln-firstboot");
  if (!instance_id_.empty()) all.push_back("KILN_INSTANCE_ID=" + instance_id_);
  std::vector<iovec> iov;
  iov.reserve(all.size());
  for (auto& f : all) iov.push_back({f.data(), f.size()});
  // Best effort: a missing journal must not fail the boot.
  (void)sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace kiln::firstboot
