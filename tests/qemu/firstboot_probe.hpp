// The first-boot [qemu] test's probe (tests/fixtures/qemu-firstboot-probe):
// installing it into a disk's persistent /etc layer, and reading back what
// it recorded on each boot from the state partition with debugfs.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace kiln::qemu_test {

// Writes the probe unit and script into the disk's /etc upper layer,
// enabled for multi-user.target. The probe powers the guest off after each
// boot.
void install_firstboot_probe(const std::string& raw);

struct ProbeReport {
  int boot = 0;
  std::map<std::string, std::string> values;  // the report's key=value lines
  nlohmann::json status;                      // kiln-firstboot's status.json, or null

  // The value of `key`; "<no KEY>" when the probe did not record it, so a
  // failed check shows what was missing.
  [[nodiscard]] std::string operator[](const std::string& key) const;
  // A "file:PATH" entry: "MODE OWNER:GROUP CONTENT", the content decoded.
  [[nodiscard]] std::string file(const std::string& path) const;
  // A base64 value, decoded ("<not base64: ...>" when it is not).
  [[nodiscard]] std::string decoded(const std::string& key) const;
  // "STATUS" of the status.json step `name`, "" when the step is absent.
  [[nodiscard]] std::string step_status(const std::string& name) const;
};

// What the probe recorded on the disk's boot number `boot`.
ProbeReport read_probe_report(const std::string& raw, int boot);

}  // namespace kiln::qemu_test
