// kiln run: its QEMU command line, the console watcher (driven by a shell
// standing in for QEMU), the seed disk, and bad input.
#include <algorithm>

#include <catch2/catch.hpp>

#include "builder/qemu.hpp"
#include "builder/qemu_process.hpp"
#include "builder/qemu_seed.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

bool has_pair(const std::vector<std::string>& argv, const std::string& flag,
              const std::string& value) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag && argv[i + 1] == value) return true;
  }
  return false;
}

// A stand-in for QEMU: a shell script that writes to the console file.
std::vector<std::string> fake_guest(const std::string& console, const std::string& script) {
  return {"/bin/sh", "-c", script, "fake-qemu", console};
}

}  // namespace

TEST_CASE("the QEMU command line: UEFI, private network, console to a file", "[unit]") {
  QemuMachine m;
  m.disk = "/images/a.qcow2";
  m.disk_format = "qcow2";
  m.firmware = {"/fw/CODE.fd", "/fw/VARS.fd"};
  m.firmware_vars = "/run/vars.fd";
  m.console_log = "/run/console.log";
  m.memory_mib = 1536;
  m.cpus = 1;
  m.seed_image = "/run/seed.img";
  m.forwards = {"tcp:2222:22"};
  auto a = qemu_argv(m);
  CHECK(a[0] == "qemu-system-x86_64");
  CHECK(has_pair(a, "-accel", "tcg,thread=single"));
  CHECK(has_pair(a, "-m", "1536"));
  CHECK(has_pair(a, "-smp", "1"));
  CHECK(has_pair(a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd"));
  CHECK(has_pair(a, "-drive", "if=pflash,format=raw,unit=1,file=/run/vars.fd"));
  CHECK(has_pair(a, "-drive", "if=virtio,format=qcow2,discard=unmap,file=/images/a.qcow2"));
  CHECK(has_pair(a, "-drive", "if=virtio,format=raw,readonly=on,file=/run/seed.img"));
  CHECK(
      has_pair(a, "-nic", "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22"));
  CHECK(has_pair(a, "-chardev", "file,id=console,append=on,path=/run/console.log"));
  CHECK(has_pair(a, "-serial", "chardev:console"));
  m.network = NetworkMode::None;
  CHECK(has_pair(qemu_argv(m), "-nic", "none"));
}

TEST_CASE("the console watcher stops at the marker, even split across writes", "[unit]") {
  TempDir d;
  std::string console = d.path() + "/console.log";
  GuestWatch w;
  w.marker = "KILN-READY";
  w.timeout = std::chrono::seconds(20);
  std::string seen;
  w.on_console = [&](std::string_view s) { seen.append(s); };
  auto r = run_guest(fake_guest(console,
                                "printf 'booting\\nKILN-RE' >> \"$1\"; sleep 0.3; "
                                "printf 'ADY\\n' >> \"$1\"; sleep 30"),
                     console, w);
  CHECK(r.outcome == GuestOutcome::MarkerSeen);
  CHECK(r.elapsed_ms < 15000);
  CHECK(seen == "booting\nKILN-READY\n");
  CHECK(read_file(console) == "booting\nKILN-READY\n");
}

TEST_CASE("the console watcher tells power-off, timeout and failure apart", "[unit]") {
  TempDir d;
  std::string console = d.path() + "/console.log";
  GuestWatch w;
  w.marker = "NEVER";
  w.timeout = std::chrono::milliseconds(1500);
  CHECK(run_guest(fake_guest(console, "echo bye >> \"$1\"; exit 0"), console, w).outcome ==
        GuestOutcome::PoweredOff);
  auto t = run_guest(fake_guest(console, "sleep 30"), console, w);
  CHECK(t.outcome == GuestOutcome::TimedOut);
  CHECK(t.elapsed_ms >= 1500);
  auto f =
      run_guest(fake_guest(console, "echo 'qemu: could not open disk' >&2; exit 1"), console, w);
  CHECK(f.outcome == GuestOutcome::QemuFailed);
  CHECK(f.qemu_status == 1);
  CHECK(f.qemu_output_tail == "qemu: could not open disk");
}

TEST_CASE("console tails drop terminal escapes", "[unit]") {
  TempDir d;
  test::write_text(d.path() + "/c.log", "\x1b[2J\x1b[01;01Hline one\r\nline two\r\n");
  CHECK(console_tail(d.path() + "/c.log", 30) == "line one\nline two");
}

TEST_CASE("a seed directory becomes a CIDATA disk and bad seeds are named", "[unit]") {
  TempDir d;
  std::string seed = d.path() + "/seed";
  test::write_text(seed + "/user-data", "#cloud-config\nhostname: n1\n");
  test::write_text(seed + "/meta-data", "instance-id: i-1\n");
  std::string img = d.path() + "/seed.img";
  make_seed_image(seed, img, 1700000000);
  CHECK(run({"blkid", "-o", "value", "-s", "LABEL", img}).out == "CIDATA\n");
  CHECK(run({"mtype", "-i", img, "::/user-data"}).out == "#cloud-config\nhostname: n1\n");

  mkdir_p(seed + "/extra");
  try {
    make_seed_image(seed, img, 1700000000);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.message() == "read seed '" + seed +
                             "': 'extra' is not a regular file; a NoCloud seed holds only files "
                             "(user-data, meta-data, network-config, vendor-data)");
  }
  remove_tree(seed + "/extra");
  ::unlink((seed + "/meta-data").c_str());
  try {
    make_seed_image(seed, img, 1700000000);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 4);
    CHECK(e.message() ==
          "read seed '" + seed + "': no meta-data (a NoCloud seed needs user-data and meta-data)");
  }
}

TEST_CASE("kiln run: bad input is one line with a distinct exit code", "[unit]") {
  TempDir d;
  auto kiln_run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::bin("kiln"), "run"});
    return test::run_cli(args);
  };
  auto missing = kiln_run({d.path() + "/nope.raw", "--accel", "tcg"});
  CHECK(missing.exit_code == 4);
  CHECK(missing.err ==
        "kiln: error: open image '" + d.path() + "/nope.raw': No such file or directory\n");

  test::write_text(d.path() + "/disk.raw", "");
  auto accel = kiln_run({d.path() + "/disk.raw", "--accel", "hvf"});
  CHECK(accel.exit_code == 2);
  CHECK(accel.err ==
        "kiln run: option '--accel' expects auto, kvm or tcg, got 'hvf' (see 'kiln "
        "run --help')\n");
  auto fwd = kiln_run({d.path() + "/disk.raw", "--forward", "22:2222"});
  CHECK(fwd.exit_code == 2);
  CHECK(fwd.err ==
        "kiln run: option '--forward' expects tcp:HOSTPORT:GUESTPORT, got '22:2222' "
        "(see 'kiln run --help')\n");
  auto mem = kiln_run({d.path() + "/disk.raw", "--memory", "lots"});
  CHECK(mem.exit_code == 2);
  CHECK(mem.err ==
        "kiln run: option '--memory' expects an integer from 256 to 1048576, got "
        "'lots' (see 'kiln run --help')\n");
  auto size = kiln_run({d.path() + "/disk.raw", "--disk-size", "big"});
  CHECK(size.exit_code == 2);
  CHECK(size.err ==
        "kiln run: option '--disk-size' expects a size such as 8G or 512M, got 'big' "
        "(see 'kiln run --help')\n");
  auto seed = kiln_run({d.path() + "/disk.raw", "--accel", "tcg", "--seed", d.path() + "/none"});
  CHECK(seed.exit_code == 4);
  CHECK(seed.err == "kiln: error: open seed '" + d.path() + "/none': No such file or directory\n");
  auto both = kiln_run({d.path() + "/disk.raw", "--interactive", "--marker", "x"});
  CHECK(both.exit_code == 2);
}

TEST_CASE("kiln run: a guest that never prints the marker times out with exit 8", "[unit]") {
  // An empty disk: the firmware finds nothing to boot, so the marker never
  // comes. TCG, a short timeout.
  TempDir d;
  std::string disk = d.path() + "/empty.raw";
  test::write_text(disk, "");
  REQUIRE(::truncate(disk.c_str(), 1 << 20) == 0);
  std::string console = d.path() + "/console.log";
  auto r = test::run_cli({test::bin("kiln"), "run", disk, "--accel", "tcg", "--marker", "login:",
                          "--timeout", "3", "--memory", "256", "--quiet", "--console-log", console},
                         {}, 60);
  CHECK(r.exit_code == 8);
  CHECK_THAT(r.err, Catch::StartsWith("kiln: error: run '" + disk + "': timed out after 3"));
  CHECK_THAT(r.err, Catch::Contains("without the marker 'login:'"));
  CHECK(path_exists(console));
  // The image itself was not touched (the guest wrote to an overlay).
  CHECK(lstat_path(disk)->st_size == 1 << 20);
}
