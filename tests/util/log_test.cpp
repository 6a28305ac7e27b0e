#include <catch2/catch.hpp>
#include <fcntl.h>

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
    t.finish();
  }
  set_event_sink(previous);
  std::string text = read_file(path);
  CHECK(text.starts_with("  hygiene: ok ("));
  CHECK(text.find(", removed 3 paths\n") != std::string::npos);
  CHECK(text.find("files") == std::string::npos);
}
