#include "tests/qemu/qemu_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "builder/disk_gpt.hpp"
#include "builder/qemu_process.hpp"
#include "builder/sparse_copy.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#if !defined(KILN_QEMU_IMAGES_DIR) || !defined(KILN_QEMU_CACHE_DIR)
#error "KILN_QEMU_IMAGES_DIR and KILN_QEMU_CACHE_DIR must be defined by tests/CMakeLists.txt"
#endif

namespace kiln::qemu_test {
namespace {

// Copies `size` bytes at `offset` of `from` into a new file `to`.
void extract_range(const std::string& from, uint64_t offset, uint64_t size, const std::string& to) {
  UniqueFd in = open_file(from, O_RDONLY);
  UniqueFd out = open_file(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (::ftruncate(out.get(), static_cast<off_t>(size)) != 0) throw_errno("resize", to);
  std::vector<char> buf(1 << 20);
  for (uint64_t done = 0; done < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    ssize_t n = ::pread(in.get(), buf.data(), want, static_cast<off_t>(offset + done));
    if (n <= 0) throw_errno("read", from);
    // Leave zero blocks as holes.
    bool zero = std::all_of(buf.begin(), buf.begin() + n, [](char c) { return c == 0; });
    if (!zero &&
        ::pwrite(out.get(), buf.data(), static_cast<size_t>(n), static_cast<off_t>(done)) != n) {
      throw_errno("write", to);
    }
    done += static_cast<uint64_t>(n);
  }
}

}  // namespace

std::string images_dir() {
  return KILN_QEMU_IMAGES_DIR;
}
std::string default_image_dir() {
  return images_dir() + "/default";
}
std::string default_raw() {
  return default_image_dir() + "/kiln-default.raw";
}
std::string default_lock() {
  return images_dir() + "/default.lock";
}
std::string cache_dir() {
  return KILN_QEMU_CACHE_DIR;
}
std::string rke2_image_dir() {
  return images_dir() + "/rke2";
}
std::string rke2_raw() {
  return rke2_image_dir() + "/kiln-default.raw";
}

PartitionInfo find_partition(const std::string& raw, const std::string& name) {
  for (const GptEntry& e : read_gpt(raw).entries) {
    if (e.name == name) return {e.name, e.type_guid, e.uuid, e.start, e.size, "", "", 0};
  }
  throw Error("find partition '" + name + "' on '" + raw + "': no such partition");
}

void copy_disk(const std::string& from, const std::string& to) {
  copy_sparse_file(from, to);
}

namespace {

// Runs debugfs with `args` on a copy of the state partition; a per-command
// failure (debugfs reports those on stderr and still exits 0) throws.
std::string debugfs_on_state(const std::string& raw, std::vector<std::string> args, bool write) {
  PartitionInfo p = find_partition(raw, "kiln-state");
  TempDir tmp("", "kiln-qemu-state");
  std::string part = tmp.path() + "/state.ext4";
  extract_range(raw, p.start, p.size, part);
  std::vector<std::string> argv{"debugfs"};
  if (write) argv.push_back("-w");
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(part);
  RunResult r = run(argv);
  for (const auto& line : split(r.err, '\n')) {
    if (line.empty() || line.rfind("debugfs 1.", 0) == 0) continue;
    throw Error("debugfs on the state partition of '" + raw + "': " + line);
  }
  if (write) {
    UniqueFd disk = open_file(raw, O_RDWR);
    copy_sparse_into(part, disk.get(), p.start, raw);
  }
  return r.out;
}

}  // namespace

std::string state_debugfs(const std::string& raw, const std::string& commands, bool write) {
  TempDir tmp("", "kiln-qemu-cmds");
  test::write_text(tmp.path() + "/cmds", commands);
  return debugfs_on_state(raw, {"-f", tmp.path() + "/cmds"}, write);
}

std::string state_cat(const std::string& raw, const std::string& path) {
  return debugfs_on_state(raw, {"-R", "cat " + path}, false);
}

void install_probe(const std::string& raw) {
  std::string dir = test::fixture("qemu-probe");
  const std::string upper = "/overlay/etc/upper";
  std::string cmds;
  for (const char* d :
       {"/systemd", "/systemd/system", "/systemd/system/multi-user.target.wants", "/kiln-test"}) {
    cmds += "mkdir " + upper + d + "\n";
  }
  cmds += "write " + dir + "/kiln-probe.service " + upper + "/systemd/system/kiln-probe.service\n";
  cmds += "symlink " + upper + "/systemd/system/multi-user.target.wants/kiln-probe.service " +
          "/etc/systemd/system/kiln-probe.service\n";
  cmds += "write " + dir + "/probe " + upper + "/kiln-test/probe\n";
  cmds += "set_inode_field " + upper + "/kiln-test/probe mode 0100755\n";
  state_debugfs(raw, cmds, true);
}

std::string Boot::value(const std::string& key) const {
  std::string found;
  for (const std::string& kv : probe) {
    for (const std::string& part : split(kv, ' ')) {
      if (part.rfind(key + "=", 0) == 0) found = part.substr(key.size() + 1);
    }
  }
  return found;
}

std::string Boot::tail() const {
  return console_tail(console, 30);
}

Boot boot_persistent(const std::string& image, const std::string& console_log, int timeout_s,
                     const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{test::bin("kiln"),
                                "run",
                                image,
                                "--persist",
                                "--quiet",
                                "--memory",
                                "1536",
                                "--timeout",
                                std::to_string(timeout_s),
                                "--console-log",
                                console_log};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto r = test::run_cli(argv, {}, timeout_s + 120);
  Boot b;
  b.exit_code = r.exit_code;
  b.console = console_log;
  b.stderr_text = r.err;
  auto text = read_file_if_exists(console_log, 64ULL << 20);
  if (text) {
    for (const std::string& line : split(*text, '\n')) {
      size_t at = line.find("KILN-PROBE ");
      if (at == std::string::npos) continue;
      b.probe.emplace_back(trim(line.substr(at + 11)));
    }
  }
  return b;
}

}  // namespace kiln::qemu_test
