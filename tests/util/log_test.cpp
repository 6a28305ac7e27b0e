#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

using namespace kiln;

namespace {
std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    out.push_back(nlohmann::json::parse(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}
}  // namespace

TEST_CASE("the JSON sink emits one event per line with step, status and duration_ms", "[unit]") {
  TempDir dir;
  std::string path = dir.path() + "/events";
  UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto previous = set_event_sink(make_json_sink(fd.get(), false));
  {
    StepTimer ok("base");
    ok.add_field("cache", "hit");
    ok.add_field("bytes", uint64_t{5000000000});
    ok.finish(StepStatus::Cached);
  }
  try {
    StepTimer failing("overlay");
    throw Error("boom");
  } catch (const Error&) {
  }
  log_debug("hidden without verbose");
  log_warning("careful");
  set_event_sink(previous);
  auto events = json_lines(read_file(path));
  REQUIRE(events.size() == 5);
  CHECK(events[0]["event"] == "step-start");
  CHECK(events[1]["event"] == "step");
  CHECK(events[1]["step"] == "base");
  CHECK(events[1]["status"] == "cached");
  CHECK(events[1]["cache"] == "hit");
  // Counts and sizes are JSON numbers, not strings (beyond 32 bits too).
  CHECK(events[1]["bytes"].is_number_unsigned());
  CHECK(events[1]["bytes"] == 5000000000ULL);
  CHECK(events[1]["duration_ms"].is_number_integer());
  CHECK(events[3]["step"] == "overlay");
  CHECK(events[3]["status"] == "failed");  // unwound by the exception
  CHECK(events[4]["event"] == "warning");
  CHECK(events[4]["message"] == "careful");
}

TEST_CASE("the terminal sink writes a line per finished step when not a tty", "[unit]") {
  TempDir dir;
  std::string path = dir.path() + "/human";
  UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto previous = set_event_sink(make_terminal_sink(fd.get(), false));
  {
    StepTimer t("hygiene");
    t.progress(50, 100, "files");  // not a tty: no progress line
    t.add_field("removed", "3 paths");
    t.add_field("kept", uint64_t{7});
    t.finish();
  }
  set_event_sink(previous);
  std::string text = read_file(path);
  CHECK(text.starts_with("  hygiene: ok ("));
  CHECK(text.find(", removed 3 paths, kept 7\n") != std::string::npos);
  CHECK(text.find("files") == std::string::npos);
}

TEST_CASE("a terminal sink without steps prints warnings only", "[unit]") {
  TempDir dir;
  std::string path = dir.path() + "/journal-stream";
  UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto previous = set_event_sink(make_terminal_sink(fd.get(), false, false));
  {
    StepTimer t("users");
    t.finish();
  }
  log_warning("unsupported key 'phone_home'");
  set_event_sink(previous);
  CHECK(read_file(path) == "warning: unsupported key 'phone_home'\n");
}

TEST_CASE("fd_is_journal_stream matches $JOURNAL_STREAM against the descriptor", "[unit]") {
  TempDir dir;
  UniqueFd fd = open_file(dir.path() + "/stream", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  UniqueFd other = open_file(dir.path() + "/other", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  struct stat st {};
  REQUIRE(::fstat(fd.get(), &st) == 0);
  const char* saved = std::getenv("JOURNAL_STREAM");
  std::optional<std::string> restore = saved ? std::optional<std::string>(saved) : std::nullopt;

  ::unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(fd_is_journal_stream(fd.get()));
  const std::string value = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", value.c_str(), 1);
  CHECK(fd_is_journal_stream(fd.get()));
  CHECK_FALSE(fd_is_journal_stream(other.get()));
  ::setenv("JOURNAL_STREAM", "not-a-stream", 1);
  CHECK_FALSE(fd_is_journal_stream(fd.get()));

  if (restore) {
    ::setenv("JOURNAL_STREAM", restore->c_str(), 1);
  } else {
    ::unsetenv("JOURNAL_STREAM");
  }
}
