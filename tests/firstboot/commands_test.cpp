// bootcmd and runcmd, run chrooted in a root that has a shell (busybox).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/firstboot/firstboot_fixtures.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

using namespace kiln;

TEST_CASE("commands run in order, once each, with their exit status recorded", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  TempDir tmp;
  const std::string root = test::make_target_root(tmp.path() + "/root");
  if (!test::install_busybox(root)) {
    test::skip("no static busybox on this host");
    return;
  }
  const std::string seed = tmp.path() + "/seed";
  test::write_seed(seed, R"(#cloud-config
bootcmd:
  - test -e /etc/wf && echo yes > /bootcmd-saw || echo no > /bootcmd-saw
write_files:
  - {path: /etc/wf, content: x}
runcmd:
  - [sh, -c, "test -e /etc/wf && echo yes > /runcmd-saw"]
  - echo once >> /ran-once
  - exit 3
  - [no-such-program, --flag]
  - echo "$KILN_INSTANCE_ID" >> /ran-after
)");
  auto run = [&] {
    return test::run_cli(
        {test::firstboot_bin(), "apply", "--seed", seed, "--root", root, "--no-start"});
  };
  auto first = run();
  CHECK(first.exit_code == 1);
  CHECK(read_file(root + "/bootcmd-saw") == "no\n");  // bootcmd runs before write_files
  CHECK(read_file(root + "/runcmd-saw") == "yes\n");  // runcmd after them
  CHECK(read_file(root + "/ran-once") == "once\n");
  CHECK(read_file(root + "/ran-after") == "i-test\n");  // a failure does not stop the rest
  auto j = nlohmann::json::parse(read_file(root + "/run/kiln/status.json"));
  CHECK(j["result"] == "failed");
  CHECK(j["steps"][0]["name"] == "bootcmd");
  CHECK(j["steps"][0]["detail"] == "1 command: exit 0");
  CHECK(j["steps"][2]["name"] == "runcmd");
  CHECK(j["steps"][2]["status"] == "failed");
  CHECK(j["steps"][2]["detail"] == "runcmd: runcmd[2] (exit 3), runcmd[3] (exit 127) failed");
  // The command text is never reported.
  CHECK(j.dump().find("no-such-program") == std::string::npos);
  CHECK(first.err.find("no-such-program") == std::string::npos);

  // The next boot runs again what did not finish, and only that.
  auto second = run();
  CHECK(second.exit_code == 1);
  CHECK(read_file(root + "/ran-once") == "once\n");
  CHECK(read_file(root + "/ran-after") == "i-test\n");
  CHECK(read_file(root + "/bootcmd-saw") == "no\n");

  // Commands inside a root need root; --skip-commands records them as skipped.
  test::write_seed(seed, "#cloud-config\nruncmd:\n  - [touch, /never]\n",
                   std::string("instance-id: i-skip\n"));
  auto skipped = test::run_cli({test::firstboot_bin(), "apply", "--seed", seed, "--root", root,
                                "--no-start", "--skip-commands"});
  CHECK(skipped.exit_code == 0);
  CHECK(skipped.err.find("warning: runcmd: 1 command(s) not run (--skip-commands)") !=
        std::string::npos);
  CHECK_FALSE(path_exists(root + "/never"));
}
