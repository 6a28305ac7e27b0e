#include "firstboot/status_port.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

using nlohmann::json;

constexpr size_t kMaxRequestBytes = 256;
constexpr size_t kMaxErrors = 10;
constexpr size_t kMaxErrorChars = 400;
constexpr auto kWriteBudget = std::chrono::seconds(2);

const char* const kRoleUnits[][2] = {{"server", "rke2-server.service"},
                                     {"agent", "rke2-agent.service"}};

std::string read_small(const std::string& path) {
  return std::string(trim(read_file_if_exists(path, 4096).value_or("")));
}

// A string field of a JSON object, or `fallback` when absent or of another
// type: a damaged status.json must not stop the responder.
std::string string_field(const json& j, const char* key, const std::string& fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return fallback;
  return j[key].get<std::string>();
}

// At most `max` bytes of `text`, never ending inside a UTF-8 sequence (a
// cut character would make the reply invalid JSON).
std::string truncate_utf8(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  return text.substr(0, end);
}

// The fields of status.json a host may see; status.json holds no secrets,
// and copying named fields keeps it that way whatever the file grows.
json firstboot_part(const StatusSources& s, const std::optional<json>& status) {
  json out = {{"result", "pending"}};
  if (status) {
    const json& st = *status;
    out["result"] = string_field(st, "result", "unknown");
    // Only values of the expected type are copied: nothing else can slip
    // into the reply through these fields.
    if (st.contains("exit_code") && st["exit_code"].is_number_integer()) {
      out["exit_code"] = st["exit_code"];
    }
    if (st.contains("instance_id") && st["instance_id"].is_string()) {
      out["instance_id"] = st["instance_id"];
    }
    if (st.contains("datasource") && st["datasource"].is_object()) {
      out["datasource"] = string_field(st["datasource"], "name", "");
    }
    json errors = json::array();
    if (st.contains("errors") && st["errors"].is_array()) {
      for (const auto& e : st["errors"]) {
        if (errors.size() == kMaxErrors) break;
        if (e.is_string()) errors.push_back(truncate_utf8(e.get<std::string>(), kMaxErrorChars));
      }
    }
    out["errors"] = errors;
    out["warnings"] =
        st.contains("warnings") && st["warnings"].is_array() ? st["warnings"].size() : 0;
  }
  if (s.units) out["unit"] = s.units("kiln-firstboot.service").active;
  return out;
}

// The node's role: the unit the agent started (status.json), or else the
// RKE2 unit that is enabled or running (a reboot's status says only
// "already-applied"; systemd starts the enabled role by itself).
json role_part(const StatusSources& s, const std::optional<json>& status, bool& ready) {
  ready = false;
  std::string unit;
  if (status && status->contains("role") && (*status)["role"].is_object()) {
    unit = string_field((*status)["role"], "unit", "");
  }
  std::optional<UnitState> state;
  if (unit.empty()) {
    for (const auto& [name, candidate] : kRoleUnits) {
      UnitState u = s.units(candidate);
      if (u.file_state == "enabled" || (u.active != "inactive" && !u.active.empty())) {
        unit = candidate;
        state = u;
        break;
      }
    }
  }
  if (unit.empty()) return {{"name", nullptr}};
  if (!state) state = s.units(unit);
  json name = nullptr;
  for (const auto& [role, candidate] : kRoleUnits) {
    if (unit == candidate) name = role;
  }
  ready = state->active == "active";
  return {{"name", name},
          {"unit", unit},
          {"file_state", state->file_state},
          {"active", state->active},
          {"sub", state->sub}};
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// Writes all of `data` to the non-blocking `fd`, or gives up after the
// budget (a host that stopped reading loses its answer).
void write_answer(int fd, std::string_view data) {
  const auto deadline = std::chrono::steady_clock::now() + kWriteBudget;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return;  // the host went away
    if (std::chrono::steady_clock::now() >= deadline) return;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
}

}  // namespace

json status_reply(const StatusSources& s) {
  std::optional<json> status;
  if (auto text = read_file_if_exists(normalize_path(s.root + "/" + s.status_file), 1 << 20)) {
    try {
      status = json::parse(*text);
      if (!status->is_object()) status.reset();
    } catch (const json::exception&) {
      status.reset();
    }
  }
  json out = {{"kiln_status", kStatusProtocolVersion},
              {"hostname", read_small(s.root + "/proc/sys/kernel/hostname")},
              {"boot_id", read_small(s.root + "/proc/sys/kernel/random/boot_id")}};
  std::string uptime = read_small(s.root + "/proc/uptime");
  out["uptime_s"] = std::atol(uptime.substr(0, uptime.find('.')).c_str());
  bool ready = false;
  try {
    out["firstboot"] = firstboot_part(s, status);
    out["role"] = s.units ? role_part(s, status, ready) : json{{"name", nullptr}};
  } catch (const Error& e) {
    // systemd did not answer: say so rather than guess.
    StatusSources without_units = s;
    without_units.units = nullptr;
    out["firstboot"] = firstboot_part(without_units, status);
    out["role"] = {{"name", nullptr}, {"error", e.what()}};
  }
  out["ready"] = ready;
  return out;
}

std::string answer_request(const std::string& line, const StatusSources& sources) {
  std::string_view request = trim(line);
  json reply;
  if (request == "status") {
    reply = status_reply(sources);
    reply["id"] = nullptr;
  } else if (request.starts_with("status ") && valid_id(request.substr(7))) {
    reply = status_reply(sources);
    reply["id"] = std::string(request.substr(7));
  } else if (request.starts_with("poweroff ") && valid_id(request.substr(9))) {
    reply = {{"id", std::string(request.substr(9))}};
    try {
      if (!sources.power_off) throw Error("not supported here");
      sources.power_off();
      reply["poweroff"] = "started";
    } catch (const Error& e) {
      reply["poweroff"] = "failed";
      reply["error"] = e.what();
    }
  } else {
    reply = {{"id", nullptr}, {"error", "unknown request; send 'status ID' or 'poweroff ID'"}};
  }
  // Replace, not throw, on invalid UTF-8 (a host name or a message from a
  // damaged file): the host always gets a line it can parse.
  return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void serve_status_port(int fd, const StatusSources& sources, const std::function<bool()>& stop,
                       std::chrono::milliseconds tick) {
  std::string pending;
  char buf[1024];
  while (!stop()) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(tick.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("wait for requests on", kStatusPortPath);
    if (r == 0) continue;
    ssize_t n = (p.revents & POLLIN) != 0 ? ::read(fd, buf, sizeof buf) : 0;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      // No host on the other end (a virtio port reports POLLHUP until one
      // connects): drop any half request and look again later.
      pending.clear();
      std::this_thread::sleep_for(tick);
      continue;
    }
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      write_answer(fd, answer_request(line, sources));
    }
    if (pending.size() > kMaxRequestBytes) {
      pending.clear();
      write_answer(fd, answer_request("", sources));
    }
  }
}

}  // namespace kiln::firstboot
