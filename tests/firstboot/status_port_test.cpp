// The guest side of kiln cluster's status channel: one JSON line per
// request, built from a fixed set of status.json fields and systemd's unit
// states, never a secret. The replies are checked on canned roots; the
// serving loop over a socketpair, the command over a pty (a character
// device, as the virtio port is).
#include "firstboot/status_port.hpp"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;
using namespace kiln::firstboot;
using nlohmann::json;

namespace {

constexpr const char* kSecret = "K10-very-secret-token";

// A root with the /proc files the reply reads and, when given, status.json.
std::string canned_root(const std::string& dir, const std::optional<std::string>& status) {
  test::write_text(dir + "/proc/sys/kernel/hostname", "server-1\n");
  test::write_text(dir + "/proc/sys/kernel/random/boot_id", "0d7c-boot\n");
  test::write_text(dir + "/proc/uptime", "73.41 120.02\n");
  if (status) test::write_text(dir + "/run/kiln/status.json", *status);
  return dir;
}

// status.json as kiln-firstboot's reporter writes it after a good first
// boot, plus fields the reply must never copy (a token planted in them).
json finished_status() {
  return {{"agent", "kiln-firstboot"},
          {"datasource", {{"name", "nocloud"}, {"location", "/dev/vdb"}}},
          {"instance_id", "iid-1234"},
          {"steps", json::array({{{"name", "rke2"}, {"status", "ok"}, {"detail", kSecret}}})},
          {"warnings", json::array({"user-data:4:1: unsupported key 'x'"})},
          {"errors", json::array()},
          {"result", "ok"},
          {"exit_code", 0},
          {"role", {{"unit", "rke2-server.service"}, {"started", true}}},
          {"token", kSecret}};
}

// Unit states from a table; unknown units are "not-found".
UnitQuery units_from(std::map<std::string, UnitState> table) {
  return [table = std::move(table)](const std::string& unit) {
    auto it = table.find(unit);
    return it != table.end() ? it->second : UnitState{"not-found", "inactive", "dead", ""};
  };
}

StatusSources sources_for(const std::string& root, std::map<std::string, UnitState> units) {
  StatusSources s;
  s.root = root;
  s.units = units_from(std::move(units));
  return s;
}

}  // namespace

TEST_CASE("status-port: the reply names the first-boot result and the role, never a secret",
          "[unit]") {
  TempDir tmp;
  const std::string root = canned_root(tmp.path(), finished_status().dump(2));
  StatusSources s =
      sources_for(root, {{"kiln-firstboot.service", {"loaded", "active", "exited", "enabled"}},
                         {"rke2-server.service", {"loaded", "active", "running", "enabled"}}});
  json reply = status_reply(s);
  CHECK(reply == json({{"kiln_status", 1},
                       {"hostname", "server-1"},
                       {"boot_id", "0d7c-boot"},
                       {"uptime_s", 73},
                       {"firstboot",
                        {{"result", "ok"},
                         {"exit_code", 0},
                         {"instance_id", "iid-1234"},
                         {"datasource", "nocloud"},
                         {"errors", json::array()},
                         {"warnings", 1},
                         {"unit", "active"}}},
                       {"role",
                        {{"name", "server"},
                         {"unit", "rke2-server.service"},
                         {"file_state", "enabled"},
                         {"active", "active"},
                         {"sub", "running"}}},
                       {"ready", true}}));
  const std::string line = answer_request("status host-1", s);
  CHECK(line.find(kSecret) == std::string::npos);
  CHECK(line.find("/dev/vdb") == std::string::npos);  // locations stay on the node
}

TEST_CASE(
    "status-port: before first boot reports, the result is pending and the role comes from "
    "the enabled unit",
    "[unit]") {
  TempDir tmp;
  const std::string root = canned_root(tmp.path(), std::nullopt);
  StatusSources s =
      sources_for(root, {{"kiln-firstboot.service", {"loaded", "activating", "start", "enabled"}},
                         {"rke2-agent.service", {"loaded", "activating", "start", "enabled"}}});
  json reply = status_reply(s);
  CHECK(reply["firstboot"] == json({{"result", "pending"}, {"unit", "activating"}}));
  CHECK(reply["role"]["name"] == "agent");
  CHECK(reply["role"]["unit"] == "rke2-agent.service");
  CHECK(reply["ready"] == false);  // activating: RKE2 has not said READY=1 yet

  // No role unit enabled or running: no role.
  json none = status_reply(sources_for(root, {}));
  CHECK(none["role"] == json({{"name", nullptr}}));
  CHECK(none["ready"] == false);
}

TEST_CASE("status-port: a failed first boot sends its errors, at most 10, each cut at a character",
          "[unit]") {
  TempDir tmp;
  json status = {{"result", "invalid"}, {"exit_code", 2}, {"errors", json::array()}};
  std::string long_error;
  for (int i = 0; i < 300; ++i) long_error += "é";  // 600 bytes, 2 per character
  status["errors"].push_back("user-data:3:3: unknown key 'tokn' in rke2; did you mean 'token'?");
  status["errors"].push_back(long_error);
  for (int i = 0; i < 12; ++i) status["errors"].push_back("error " + std::to_string(i));
  const std::string root = canned_root(tmp.path(), status.dump());
  StatusSources s = sources_for(root, {});
  json reply = json::parse(answer_request("status f-1", s));
  const json& errors = reply["firstboot"]["errors"];
  REQUIRE(errors.size() == 10);
  CHECK(errors[0] == "user-data:3:3: unknown key 'tokn' in rke2; did you mean 'token'?");
  CHECK(errors[1].get<std::string>().size() == 400);
  CHECK(errors[1].get<std::string>() == long_error.substr(0, 400));
  CHECK(errors[9] == "error 7");
  CHECK(reply["firstboot"]["result"] == "invalid");
  CHECK(reply["firstboot"]["exit_code"] == 2);
  CHECK(reply["ready"] == false);

  // An odd limit would cut "é" in two: the cut moves back to a boundary.
  status["errors"] = json::array({"a" + long_error});
  test::write_text(root + "/run/kiln/status.json", status.dump());
  json odd = json::parse(answer_request("status f-2", s));
  CHECK(odd["firstboot"]["errors"][0].get<std::string>() == "a" + long_error.substr(0, 398));
}

TEST_CASE("status-port: a damaged status.json gives 'unknown' or 'pending', not a dead responder",
          "[unit]") {
  TempDir tmp;
  const std::string root = canned_root(tmp.path(), json({{"result", 5},
                                                         {"instance_id", {{"token", kSecret}}},
                                                         {"exit_code", "0"},
                                                         {"role", "rke2-server.service"},
                                                         {"datasource", {{"name", 7}}},
                                                         {"errors", kSecret}})
                                                       .dump());
  StatusSources s = sources_for(root, {});
  const std::string line = answer_request("status d-1", s);
  CHECK(line.find(kSecret) == std::string::npos);
  json reply = json::parse(line);
  CHECK(reply["firstboot"] == json({{"result", "unknown"},
                                    {"datasource", ""},
                                    {"errors", json::array()},
                                    {"warnings", 0},
                                    {"unit", "inactive"}}));
  CHECK(reply["role"] == json({{"name", nullptr}}));

  test::write_text(root + "/run/kiln/status.json", "{\"result\": \"ok\", ");  // half written
  CHECK(status_reply(s)["firstboot"]["result"] == "pending");
  test::write_text(root + "/run/kiln/status.json", "[\"ok\"]");
  CHECK(status_reply(s)["firstboot"]["result"] == "pending");
}

TEST_CASE("status-port: when systemd does not answer, the reply says so", "[unit]") {
  TempDir tmp;
  const std::string root = canned_root(tmp.path(), finished_status().dump());
  StatusSources s;
  s.root = root;
  s.units = [](const std::string&) -> UnitState {
    throw Error("connect to systemd: /run/systemd/private and the system bus are unavailable");
  };
  json reply = status_reply(s);
  CHECK(reply["firstboot"]["result"] == "ok");
  CHECK_FALSE(reply["firstboot"].contains("unit"));
  CHECK(reply["role"] ==
        json({{"name", nullptr},
              {"error",
               "connect to systemd: /run/systemd/private and the system bus are unavailable"}}));
  CHECK(reply["ready"] == false);
}

TEST_CASE("status-port: requests and their answers, one line each", "[unit]") {
  TempDir tmp;
  StatusSources s = sources_for(canned_root(tmp.path(), finished_status().dump()), {});
  auto answer = [&](const std::string& request) {
    std::string line = answer_request(request, s);
    REQUIRE(line.ends_with("\n"));
    CHECK(line.find('\n') == line.size() - 1);
    return json::parse(line);
  };
  CHECK(answer("status abc-12")["id"] == "abc-12");
  CHECK(answer("status abc-12\r")["id"] == "abc-12");
  CHECK(answer("status")["id"] == nullptr);
  CHECK(answer("status")["firstboot"]["result"] == "ok");
  const json unknown = {{"id", nullptr},
                        {"error", "unknown request; send 'status ID' or 'poweroff ID'"}};
  CHECK(answer("status bad id") == unknown);
  CHECK(answer("status " + std::string(33, 'a')) == unknown);
  CHECK(answer("hello") == unknown);
  CHECK(answer("") == unknown);

  // poweroff: without a way to power off, with one, and with one that fails.
  CHECK(answer("poweroff p-1") ==
        json({{"id", "p-1"}, {"poweroff", "failed"}, {"error", "not supported here"}}));
  int calls = 0;
  s.power_off = [&calls] { ++calls; };
  CHECK(answer("poweroff p-2") == json({{"id", "p-2"}, {"poweroff", "started"}}));
  CHECK(calls == 1);
  s.power_off = [] { throw Error("start unit 'poweroff.target': Access denied"); };
  CHECK(answer("poweroff p-3") == json({{"id", "p-3"},
                                        {"poweroff", "failed"},
                                        {"error", "start unit 'poweroff.target': Access denied"}}));
  CHECK(answer("poweroff") == unknown);
}
