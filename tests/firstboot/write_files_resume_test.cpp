// write_files across an interrupted first boot: at every point where power
// can be lost during the write-files steps, the next run (and a later
// --force) converges on the bytes an uninterrupted run writes, with a write
// and later appends to the same path, an append to a file of the image,
// and an append deferred after a write of the same path.
#include <functional>
#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;

namespace {

constexpr const char* kUserData =
    "#cloud-config\n"
    "write_files:\n"
    "  - {path: /etc/f, content: hello}\n"
    "  - {path: /etc/f, content: \" appended\", append: true}\n"
    "  - {path: /etc/f, content: \" twice\", append: true}\n"
    "  - {path: /etc/g, content: \"tail\\n\", append: true}\n"
    "  - {path: /etc/h, content: \"one\\n\"}\n"
    "  - {path: /etc/h, content: \"two\\n\", append: true, defer: true}\n";

// What an uninterrupted run leaves.
const std::map<std::string, std::string> kFinal = {
    {"/etc/f", "hello appended twice"}, {"/etc/g", "base\ntail\n"}, {"/etc/h", "one\ntwo\n"}};

// The durable state a run has reached: file contents and its progress
// record (done items, and each append's base and result digests).
struct Disk {
  std::map<std::string, std::string> files{{"/etc/g", "base\n"}};
  std::set<std::string> done;
  std::map<std::string, std::pair<std::string, std::string>> appends;
};

// The first run's durable steps during write-files, in order: each write,
// and for each append its record, its file, then "done".
std::vector<std::function<void(Disk&)>> first_run_steps() {
  std::vector<std::function<void(Disk&)>> steps;
  auto write = [&](const std::string& path, const std::string& content) {
    steps.emplace_back([=](Disk& d) { d.files[path] = content; });
  };
  auto append = [&](const std::string& item, const std::string& path, const std::string& content) {
    steps.emplace_back([=](Disk& d) {
      const std::string base = d.files[path];
      d.appends[item] = {sha256_hex(base), sha256_hex(base + content)};
    });
    steps.emplace_back([=](Disk& d) { d.files[path] += content; });
    steps.emplace_back([=](Disk& d) { d.done.insert(item); });
  };
  write("/etc/f", "hello");
  append("write_files[1]", "/etc/f", " appended");
  append("write_files[2]", "/etc/f", " twice");
  append("write_files[3]", "/etc/g", "tail\n");
  write("/etc/h", "one\n");
  append("write_files[5]", "/etc/h", "two\n");  // deferred: after the rke2 step
  return steps;
}

void lay_down(const std::string& root, const Disk& d) {
  const std::string state = root + "/var/lib/kiln/instances/i-test";
  for (const auto& p : {"/etc/f", "/etc/h"}) remove_tree(root + p);
  for (const auto& [path, content] : d.files) test::write_text(root + path, content);
  nlohmann::json appends = nlohmann::json::object();
  for (const auto& [item, r] : d.appends) appends[item] = {{"base", r.first}, {"result", r.second}};
  test::write_text(state + "/progress.json",
                   nlohmann::json({{"done", d.done}, {"appends", appends}}).dump(), 0600);
  remove_tree(state + "/complete");
  test::write_text(state + "/in-progress", "0\n", 0600);
}

void check_final(const std::string& root) {
  for (const auto& [path, content] : kFinal) {
    INFO(path);
    CHECK(read_file(root + path) == content);
  }
}

test::CliResult apply(const std::string& seed, const std::string& root,
                      std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {test::firstboot_bin(), "apply", "--seed", seed, "--root", root,
                                   "--no-start"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_cli(argv);
}

}  // namespace

TEST_CASE("write_files converges after a power loss at every point, and with --force", "[unit]") {
  TempDir tmp;
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed, std::string(kUserData));
  const auto steps = first_run_steps();
  for (size_t cut = 0; cut <= steps.size(); ++cut) {
    INFO("power lost after " << cut << " of " << steps.size() << " durable steps");
    TempDir run;
    const std::string root = test::make_target_root(run.path() + "/root");
    test::write_text(root + "/etc/g", "base\n");
    // The run reached the write-files step once, so its state exists.
    REQUIRE(apply(seed, root).exit_code == 0);
    Disk d;
    for (size_t i = 0; i < cut; ++i) steps[i](d);
    lay_down(root, d);

    auto r = apply(seed, root);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("resuming an interrupted run of instance i-test") != std::string::npos);
    check_final(root);
    CHECK(path_exists(root + "/var/lib/kiln/instances/i-test/complete"));
    // And again: a completed instance re-applied by hand.
    REQUIRE(apply(seed, root, {"--force"}).exit_code == 0);
    check_final(root);
  }
}

TEST_CASE("an append resumed from an older progress record (no base digest) still converges",
          "[unit]") {
  TempDir tmp;
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed, std::string(kUserData));
  const std::string root = test::make_target_root(tmp.path() + "/root");
  test::write_text(root + "/etc/g", "base\n");
  REQUIRE(apply(seed, root).exit_code == 0);
  // The format before base digests: an append under way as "pending", with
  // the result it expects; its file already holds that result.
  const std::string state = root + "/var/lib/kiln/instances/i-test";
  nlohmann::json progress = {{"done", nlohmann::json::array()},
                             {"pending", {{"write_files[3]", sha256_hex("base\ntail\n")}}}};
  test::write_text(state + "/progress.json", progress.dump(), 0600);
  remove_tree(state + "/complete");
  test::write_text(state + "/in-progress", "0\n", 0600);
  auto r = apply(seed, root);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  check_final(root);
}
