#include "tests/qemu/cluster_checks.hpp"

#include <thread>

#include <catch2/catch.hpp>

#include "builder/qemu_process.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::cluster_test {

std::string cluster_spec_text() {
  std::string spec = read_file(test::source_dir() + "/images/default.yaml");
  const std::string overlays = "  - cis\n";
  size_t at = spec.find(overlays);
  REQUIRE(at != std::string::npos);
  spec.insert(at + overlays.size(),
              "  - path: " + test::source_dir() + "/tests/qemu/cluster-overlay\n");
  const std::string workload = test::standin_workload_archive();
  spec += "\nrke2:\n  version: v1.30.5+rke2r1\n  artifacts: " + test::standin_artifacts_dir() +
          "\n\nairgap:\n  images:\n    - archive: " + workload + "\n      sha256: " +
          sha256_file(workload) + "\n";
  return spec;
}

std::vector<Checks> read_checks(const std::string& console_log) {
  std::vector<Checks> boots;
  auto text = read_file_if_exists(console_log, 64ULL << 20);
  if (!text) return boots;
  for (const std::string& line : split(*text, '\n')) {
    size_t at = line.find("KILN-CHECK ");
    if (at == std::string::npos) continue;
    std::string body(trim(line.substr(at + 11)));
    if (!body.empty() && body.back() == '\r') body.pop_back();
    for (const std::string& part : split(body, ' ')) {
      size_t eq = part.find('=');
      if (eq == std::string::npos) continue;
      std::string key = part.substr(0, eq);
      std::string value = part.substr(eq + 1);
      if (key == "boot" || boots.empty()) boots.emplace_back();
      std::string& slot = boots.back()[key];
      slot = key == "token-leak" && !slot.empty() ? slot + "," + value : value;
    }
  }
  return boots;
}

std::string console_tail_of(const std::string& console_log) {
  return console_tail(console_log, 30);
}

void wait_for_checks(const std::string& node, const std::string& console_log, int boot,
                     std::chrono::steady_clock::time_point deadline) {
  const std::string want = std::to_string(boot);
  while (true) {
    auto boots = read_checks(console_log);
    for (const auto& b : boots) {
      auto it = b.find("done");
      if (it != b.end() && it->second == want) return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      FAIL("node '" << node << "': no 'KILN-CHECK done=" << want
                    << "' in time; last 30 console lines:\n"
                    << console_tail_of(console_log));
    }
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
}

}  // namespace kiln::cluster_test
