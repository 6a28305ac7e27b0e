// kiln run IMAGE: boots an image in QEMU with UEFI firmware, on a throwaway
// overlay unless --persist, with a private network that has no route out.
// The exit status says how the run ended (see docs/run.md).
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "builder/commands.hpp"
#include "builder/inputs.hpp"
#include "builder/qemu.hpp"
#include "builder/qemu_process.hpp"
#include "builder/qemu_seed.hpp"
#include "builder/reproducible.hpp"
#include "builder/spec_values.hpp"
#include "util/args.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

ArgParser run_parser() {
  ArgParser p("kiln run", "IMAGE [OPTIONS]",
              "Boot a kiln disk image (raw or qcow2) in QEMU with UEFI firmware. The image is\n"
              "not modified: the guest writes to a throwaway overlay unless --persist.\n"
              "The guest gets a private network with no route out.");
  p.positional("IMAGE", "Disk image (raw or qcow2)");
  p.option("seed", 0, "PATH",
           "NoCloud seed: a directory with user-data and meta-data (made into a CIDATA disk)\n"
           "or a disk image, attached read-only");
  p.option("memory", 'm', "MIB", "Guest memory in MiB (default 2048)");
  p.option("cpus", 0, "N", "Guest CPUs (default 2)");
  p.option("timeout", 't', "SECONDS", "Stop the guest after this long (exit 8); default: no limit");
  p.option("console-log", 0, "FILE", "Keep the serial console output in FILE");
  p.option("marker", 0, "TEXT", "Exit 0 as soon as the serial console prints TEXT");
  p.flag("persist", 0, "Boot the image itself, so the guest's changes persist");
  p.option("disk-size", 0, "SIZE",
           "Grow the disk the guest sees to SIZE (e.g. 8G) before booting; the state\n"
           "partition grows into it on boot");
  p.option("accel", 0, "auto|kvm|tcg",
           "Accelerator (default auto: KVM when a short probe boots, else TCG;\n"
           "also $KILN_QEMU_ACCEL)");
  p.flag("no-network", 0, "Give the guest no network device at all");
  p.option("forward", 0, "tcp:HOSTPORT:GUESTPORT",
           "Forward 127.0.0.1:HOSTPORT to the guest's GUESTPORT", true);
  p.flag("interactive", 'i', "Serial console on this terminal (Ctrl-A X quits)");
  p.flag("quiet", 'q', "Do not echo the serial console");
  p.epilog(
      "Exit codes: 0 the marker appeared (with --marker) or the guest powered off\n"
      "(without), 7 the guest powered off before the marker appeared, 8 timed out,\n"
      "2 usage error, 4 missing image, seed or firmware, 5 QEMU failed, 130 interrupted.");
  return p;
}

[[noreturn]] void usage(const std::string& message) {
  throw Error("kiln run: " + message + " (see 'kiln run --help')", kExitUsage);
}

std::string choose_accel(const ParsedArgs& a) {
  std::string accel = requested_accelerator(a.get_or("accel", ""));
  if (!is_accelerator_name(accel)) {
    usage("option '--accel' expects auto, kvm or tcg, got '" + accel + "'");
  }
  return choose_accelerator(accel);
}

void check_forward(const std::string& f) {
  auto parts = split(f, ':');
  auto port = [](const std::string& s) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    int n = std::stoi(s);
    return n >= 1 && n <= 65535;
  };
  if (parts.size() != 3 || (parts[0] != "tcp" && parts[0] != "udp") || !port(parts[1]) ||
      !port(parts[2])) {
    usage("option '--forward' expects tcp:HOSTPORT:GUESTPORT, got '" + f + "'");
  }
}

void run_tool(const std::vector<std::string>& argv) {
  try {
    run(argv);
  } catch (Error& e) {
    if (e.exit_code() != kExitInterrupted) e.set_exit_code(kExitToolFailed);
    throw;
  }
}

int run_run(const std::vector<std::string>& args, const GlobalOptions& /*global*/) {
  ArgParser parser = run_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  QemuMachine m;
  if (auto v = a.get_int("memory", 256, 1 << 20)) m.memory_mib = static_cast<uint64_t>(*v);
  if (auto v = a.get_int("cpus", 1, 64)) m.cpus = static_cast<unsigned>(*v);
  auto timeout_s = a.get_int("timeout", 1, 7 * 24 * 3600);
  auto marker = a.get("marker");
  if (marker && marker->empty()) usage("option '--marker' needs a non-empty text");
  for (const std::string& f : a.all("forward")) check_forward(f);
  std::optional<uint64_t> disk_size;
  if (auto v = a.get("disk-size")) {
    disk_size = spec::parse_size(*v);
    if (!disk_size || *disk_size == 0) {
      usage("option '--disk-size' expects a size such as 8G or 512M, got '" + *v + "'");
    }
  }
  const bool interactive = a.has("interactive");
  if (interactive && (marker || a.get("console-log"))) {
    usage(
        "--interactive shows the console on this terminal; it cannot be combined with "
        "--marker or --console-log");
  }

  const std::string image = absolute_path(a.positionals().at(0));
  if (!path_exists(image)) {
    throw Error("open image '" + image + "': No such file or directory", kExitMissingInput, ENOENT);
  }
  m.firmware = find_ovmf();
  m.accel = choose_accel(a);

  TempDir tmp("", "kiln-run");
  m.firmware_vars = path_join(tmp.path(), "OVMF_VARS.fd");
  copy_file(m.firmware.vars_template, m.firmware_vars);

  const std::string format = detect_disk_format(image);
  if (a.has("persist")) {
    m.disk = image;
    m.disk_format = format;
  } else {
    m.disk = path_join(tmp.path(), "overlay.qcow2");
    m.disk_format = "qcow2";
    m.disk_cache_unsafe = true;
    run_tool({"qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", image, m.disk});
  }
  if (disk_size) {
    run_tool({"qemu-img", "resize", "-q", "-f", m.disk_format, m.disk, std::to_string(*disk_size)});
  }
  if (auto seed = a.get("seed")) {
    std::string path = absolute_path(*seed);
    if (is_directory(path)) {
      m.seed_image = path_join(tmp.path(), "seed.img");
      make_seed_image(path, *m.seed_image, source_date_epoch());
    } else if (path_exists(path)) {
      m.seed_image = path;
    } else {
      throw Error("open seed '" + path + "': No such file or directory", kExitMissingInput, ENOENT);
    }
  }
  m.network = a.has("no-network") ? NetworkMode::None : NetworkMode::Restricted;
  m.forwards = a.all("forward");
  m.interactive = interactive;
  m.console_log = a.get("console-log") ? absolute_path(*a.get("console-log"))
                                       : path_join(tmp.path(), "console.log");
  std::vector<std::string> argv = qemu_argv(m);
  log_debug("qemu: " + shell_quote(argv));

  if (interactive) return run_guest_interactive(argv);

  GuestWatch watch;
  watch.marker = marker;
  if (timeout_s) watch.timeout = std::chrono::seconds(*timeout_s);
  watch.qemu_log = path_join(tmp.path(), "qemu.log");
  if (!a.has("quiet")) {
    watch.on_console = [](std::string_view chunk) {
      (void)!::write(1, chunk.data(), chunk.size());
    };
  }
  GuestRun r = run_guest(argv, m.console_log, watch);
  std::string took = human_duration_ms(r.elapsed_ms);
  switch (r.outcome) {
    case GuestOutcome::MarkerSeen:
      std::fprintf(stderr, "kiln run: marker '%s' seen after %s (%s)\n", marker->c_str(),
                   took.c_str(), m.accel.c_str());
      return 0;
    case GuestOutcome::PoweredOff:
      std::fprintf(stderr, "kiln run: the guest powered off after %s\n", took.c_str());
      return marker ? kExitGuestStoppedEarly : 0;
    case GuestOutcome::TimedOut: {
      Error e("run '" + image + "': timed out after " + took +
                  (marker ? " without the marker '" + *marker + "'" : std::string()),
              kExitRunTimedOut);
      e.set_detail("last console lines:\n" + console_tail(m.console_log, 30));
      throw e;
    }
    case GuestOutcome::QemuFailed: {
      Error e("run '" + image + "': qemu " +
                  (r.qemu_signal != 0 ? "was killed by signal " + std::to_string(r.qemu_signal)
                                      : "exited with status " + std::to_string(r.qemu_status)) +
                  ": " + shell_quote(argv),
              kExitToolFailed);
      e.set_detail(r.qemu_output_tail);
      throw e;
    }
  }
  return 1;
}

}  // namespace

Command run_command() {
  return {"run", "Boot an image in QEMU (UEFI, private network)", run_run};
}

}  // namespace kiln
