#include "tests/qemu/firstboot_probe.hpp"

#include "firstboot/codec.hpp"
#include "tests/qemu/qemu_support.hpp"
#include "tests/support/test_support.hpp"
#include "util/strings.hpp"

namespace kiln::qemu_test {
namespace {

constexpr const char* kProbeState = "/var/lib/kiln-fbtest-probe";

std::string decode_base64(const std::string& text) {
  if (text == "missing") return "<missing>";
  auto r = firstboot::base64_decode(text);
  return r.data ? *r.data : "<not base64: " + text + ">";
}

}  // namespace

void install_firstboot_probe(const std::string& raw) {
  const std::string dir = test::fixture("qemu-firstboot-probe");
  const std::string upper = "/overlay/etc/upper";
  const std::string unit = "kiln-firstboot-probe.service";
  std::string cmds;
  for (const char* d :
       {"/systemd", "/systemd/system", "/systemd/system/multi-user.target.wants", "/kiln-test"}) {
    cmds += "mkdir " + upper + d + "\n";
  }
  cmds += "write " + dir + "/" + unit + " " + upper + "/systemd/system/" + unit + "\n";
  cmds += "symlink " + upper + "/systemd/system/multi-user.target.wants/" + unit +
          " /etc/systemd/system/" + unit + "\n";
  cmds += "write " + dir + "/probe " + upper + "/kiln-test/firstboot-probe\n";
  cmds += "set_inode_field " + upper + "/kiln-test/firstboot-probe mode 0100755\n";
  state_debugfs(raw, cmds, true);
}

std::string ProbeReport::operator[](const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? "<no " + key + ">" : it->second;
}

std::string ProbeReport::file(const std::string& path) const {
  std::string v = (*this)["file:" + path];
  auto parts = split(v, ' ');
  if (parts.size() != 3) return v;
  return parts[0] + " " + parts[1] + " " + decode_base64(parts[2]);
}

std::string ProbeReport::decoded(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? "<no " + key + ">" : decode_base64(it->second);
}

std::string ProbeReport::step_status(const std::string& name) const {
  if (!status.is_object() || !status.contains("steps")) return "";
  for (const auto& s : status["steps"]) {
    if (s.value("name", "") == name) return s.value("status", "");
  }
  return "";
}

ProbeReport read_probe_report(const std::string& raw, int boot) {
  const std::string dir = std::string(kProbeState) + "/boot-" + std::to_string(boot);
  ProbeReport r;
  r.boot = boot;
  for (const std::string& line : split(state_cat(raw, dir + "/report"), '\n')) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) r.values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  std::string status = state_cat(raw, dir + "/status.json");
  r.status = nlohmann::json::parse(status, nullptr, false);
  if (r.status.is_discarded()) r.status = nullptr;
  return r;
}

}  // namespace kiln::qemu_test
