#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

TEST_CASE("kiln-firstboot --help, --version and usage errors", "[unit]") {
  auto h = test::run_cli({test::bin("kiln-firstboot"), "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.starts_with("Usage: kiln-firstboot "));
  auto v = test::run_cli({test::bin("kiln-firstboot"), "--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.starts_with("kiln-firstboot "));
  auto u = test::run_cli({test::bin("kiln-firstboot"), "frobnicate"});
  CHECK(u.exit_code == 2);
  CHECK(u.out.empty());
  CHECK(u.err.starts_with("kiln-firstboot: unknown command 'frobnicate'"));
  CHECK(u.err.find('\n') == u.err.size() - 1);
  auto f = test::run_cli({test::bin("kiln-firstboot"), "--bogus"});
  CHECK(f.exit_code == 2);
  CHECK(f.err == "kiln-firstboot: unknown option '--bogus' (see 'kiln-firstboot --help')\n");
}

TEST_CASE("kiln-firstboot lists its commands and validate's usage errors are one line", "[unit]") {
  auto h = test::run_cli({test::bin("kiln-firstboot"), "--help"});
  CHECK(h.out.find("\n  run ") != std::string::npos);
  CHECK(h.out.find("\n  apply ") != std::string::npos);
  CHECK(h.out.find("\n  validate ") != std::string::npos);
  auto none = test::run_cli({test::bin("kiln-firstboot"), "validate"});
  CHECK(none.exit_code == 2);
  CHECK(none.err ==
        "kiln-firstboot validate: give --seed DIR or --user-data FILE (see 'kiln-firstboot "
        "validate --help')\n");
  auto both =
      test::run_cli({test::bin("kiln-firstboot"), "validate", "--seed", "/x", "--user-data", "/y"});
  CHECK(both.exit_code == 2);
  CHECK(both.err ==
        "kiln-firstboot validate: --seed cannot be combined with --user-data, --meta-data or "
        "--network-config (see 'kiln-firstboot validate --help')\n");
  auto missing = test::run_cli(
      {test::bin("kiln-firstboot"), "validate", "--user-data", "/nonexistent/user-data"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err ==
        "kiln-firstboot: error: open '/nonexistent/user-data': No such file or directory\n");
}

TEST_CASE("validate checks separate files, each named in its diagnostics", "[unit]") {
  TempDir tmp;
  test::write_text(tmp.path() + "/ud.yaml", "#cloud-config\nhostname: ok\n");
  test::write_text(tmp.path() + "/nc.yaml", "version: 2\nethernets:\n  eth0: {dhcp4: maybe}\n");
  auto ok = test::run_cli(
      {test::bin("kiln-firstboot"), "validate", "--user-data", tmp.path() + "/ud.yaml"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == tmp.path() + "/ud.yaml: valid\n");
  auto bad = test::run_cli({test::bin("kiln-firstboot"), "validate", "--user-data",
                            tmp.path() + "/ud.yaml", "--network-config", tmp.path() + "/nc.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err == tmp.path() +
                       "/nc.yaml:3:17: ethernets.eth0.dhcp4 must be true or false, got 'maybe'\n" +
                       "kiln-firstboot validate: 1 error in " + tmp.path() + "/ud.yaml\n");
}

TEST_CASE(
    "the unit is ordered after local-fs, before the role and sshd, and without network-online",
    "[unit]") {
  std::string unit = read_file(test::source_dir() + "/firstboot/units/kiln-firstboot.service");
  auto has_line = [&](const std::string& line) {
    return unit.find("\n" + line + "\n") != std::string::npos;
  };
  CHECK(has_line("Type=oneshot"));
  CHECK(has_line("RemainAfterExit=yes"));
  CHECK(has_line("ExecStart=/usr/lib/kiln/kiln-firstboot run"));
  CHECK(has_line("After=local-fs.target systemd-remount-fs.service systemd-udev-trigger.service"));
  CHECK(has_line("Before=rke2-server.service rke2-agent.service ssh.service sshd.service"));
  CHECK(has_line("NotifyAccess=main"));
  CHECK(has_line("WantedBy=multi-user.target"));
  for (const auto& line : split(unit, '\n')) {
    if (line.starts_with("#")) continue;
    CHECK(line.find("network-online") == std::string::npos);
  }
}
