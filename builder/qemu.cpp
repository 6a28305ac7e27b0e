#include "builder/qemu.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/inputs.hpp"
#include "builder/qemu_process.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

// Tried in order: the 4 MiB builds are what current OVMF packages boot
// best; the 2 MiB ones remain for older hosts.
const std::vector<Firmware> kOvmfCandidates{
    {"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
    {"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
};

std::string host_boot_id() {
  auto id = read_file_if_exists("/proc/sys/kernel/random/boot_id", 256);
  return id ? std::string(trim(*id)) : "";
}

std::optional<std::string> cached_probe(const std::string& cache_file, const std::string& key) {
  if (cache_file.empty()) return std::nullopt;
  auto text = read_file_if_exists(cache_file, 4096);
  if (!text) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*text);
    if (j.value("key", "") == key) return j.value("accel", "");
  } catch (const nlohmann::json::exception&) {
  }
  return std::nullopt;
}

}  // namespace

Firmware find_ovmf() {
  for (const Firmware& f : kOvmfCandidates) {
    if (path_exists(f.code) && path_exists(f.vars_template)) return f;
  }
  throw Error("find UEFI firmware '" + kOvmfCandidates[0].code +
                  "': not installed; install the ovmf package (scripts/install-deps)",
              kExitMissingInput, ENOENT);
}

std::vector<std::string> qemu_argv(const QemuMachine& m) {
  // TCG runs all vCPUs on one host thread: on small shared build hosts
  // multi-threaded TCG gains little, and one boot on a heavily loaded host
  // stalled for good waiting for a virtio completion with it.
  std::string accel = m.accel == "tcg" ? "tcg,thread=single" : m.accel;
  std::vector<std::string> a{"qemu-system-x86_64",
                             "-machine",
                             "q35",
                             "-accel",
                             accel,
                             "-cpu",
                             m.accel == "kvm" ? "host" : "max",
                             "-m",
                             std::to_string(m.memory_mib),
                             "-smp",
                             std::to_string(m.cpus),
                             "-nodefaults",
                             "-no-user-config",
                             "-display",
                             "none",
                             "-drive",
                             "if=pflash,format=raw,unit=0,readonly=on,file=" + m.firmware.code,
                             "-drive",
                             "if=pflash,format=raw,unit=1,file=" + m.firmware_vars};
  std::string disk = "if=virtio,format=" + m.disk_format + ",discard=unmap,file=" + m.disk;
  if (m.disk_cache_unsafe) disk += ",cache=unsafe";
  a.insert(a.end(), {"-drive", disk});
  if (m.seed_image) {
    a.insert(a.end(), {"-drive", "if=virtio,format=raw,readonly=on,file=" + *m.seed_image});
  }
  if (m.network == NetworkMode::None) {
    a.insert(a.end(), {"-nic", "none"});
  } else {
    std::string nic = "user,model=virtio-net-pci,restrict=on";
    for (const std::string& f : m.forwards) {
      // "tcp:HOST:GUEST" -> hostfwd=tcp:127.0.0.1:HOST-:GUEST
      auto parts = split(f, ':');
      nic += ",hostfwd=" + parts.at(0) + ":127.0.0.1:" + parts.at(1) + "-:" + parts.at(2);
    }
    a.insert(a.end(), {"-nic", nic});
  }
  if (m.interactive) {
    a.insert(a.end(), {"-serial", "mon:stdio"});
  } else {
    // append=on: the file is created empty by the caller, and QEMU must not
    // truncate it under the reader that watches it for the marker.
    a.insert(a.end(), {"-chardev", "file,id=console,append=on,path=" + m.console_log, "-serial",
                       "chardev:console", "-monitor", "none"});
  }
  a.insert(a.end(), m.extra_args.begin(), m.extra_args.end());
  return a;
}

std::string requested_accelerator(const std::string& option_value) {
  if (!option_value.empty()) return option_value;
  const char* env = std::getenv("KILN_QEMU_ACCEL");
  return env != nullptr && *env != '\0' ? env : "auto";
}

bool is_accelerator_name(const std::string& name) {
  return name == "auto" || name == "kvm" || name == "tcg";
}

std::string choose_accelerator(const std::string& requested) {
  constexpr auto kKvmProbeBudget = std::chrono::seconds(6);
  if (requested != "auto") return requested;
  return probe_accelerator(kKvmProbeBudget, path_join(default_cache_dir(), "qemu-accel.json"));
}

std::string probe_accelerator(std::chrono::milliseconds budget, const std::string& cache_file) {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    log_debug("accelerator: /dev/kvm is not usable; using TCG");
    return "tcg";
  }
  auto qemu = find_program("qemu-system-x86_64");
  if (!qemu) return "tcg";
  struct stat st {};
  ::stat(qemu->c_str(), &st);
  const std::string key = host_boot_id() + " " + *qemu + " " + std::to_string(st.st_mtime);
  if (auto hit = cached_probe(cache_file, key); hit && (*hit == "kvm" || *hit == "tcg")) {
    log_debug("accelerator: " + *hit + " (probed earlier this boot)");
    return *hit;
  }
  // Boot the firmware alone under KVM: it reaches its boot manager, which
  // prints "BdsDxe" on the serial console, in about a second where KVM
  // works. Where it hangs, the probe is killed at the budget.
  Firmware fw = find_ovmf();
  TempDir tmp("", "kiln-kvm-probe");
  QemuMachine m;
  m.accel = "kvm";
  m.memory_mib = 256;
  m.cpus = 1;
  m.firmware = fw;
  m.firmware_vars = tmp.path() + "/vars.fd";
  copy_file(fw.vars_template, m.firmware_vars);
  m.network = NetworkMode::None;
  m.console_log = tmp.path() + "/console.log";
  std::vector<std::string> argv = qemu_argv(m);
  // No disk: drop the -drive for it.
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-drive" && argv[i + 1].rfind("if=virtio", 0) == 0) {
      argv.erase(argv.begin() + static_cast<long>(i), argv.begin() + static_cast<long>(i) + 2);
      break;
    }
  }
  GuestWatch watch;
  watch.marker = "BdsDxe";
  watch.timeout = budget;
  watch.qemu_log = tmp.path() + "/qemu.log";
  GuestRun r = run_guest(argv, m.console_log, watch);
  std::string accel = r.outcome == GuestOutcome::MarkerSeen ? "kvm" : "tcg";
  std::string how = r.outcome == GuestOutcome::MarkerSeen ? "booted the firmware"
                    : r.outcome == GuestOutcome::TimedOut ? "hung"
                                                          : "failed (" + r.qemu_output_tail + ")";
  log_debug("accelerator: the KVM probe " + how + " in " + std::to_string(r.elapsed_ms) +
            " ms; using " + accel);
  if (!cache_file.empty()) {
    try {
      mkdir_p(dirname_of(cache_file));
      write_file_atomic(cache_file, nlohmann::json{{"key", key}, {"accel", accel}}.dump() + "\n");
    } catch (const Error& e) {
      log_debug("accelerator: cannot remember the probe: " + std::string(e.what()));
    }
  }
  return accel;
}

std::string detect_disk_format(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  char magic[4] = {};
  ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
  if (n < 0) throw_errno("read", path);
  if (n == 4 && magic[0] == 'Q' && magic[1] == 'F' && magic[2] == 'I' &&
      static_cast<unsigned char>(magic[3]) == 0xfb) {
    return "qcow2";
  }
  return "raw";
}

}  // namespace kiln
