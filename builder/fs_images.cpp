#include "builder/fs_images.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/partition_sizes.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

RunOptions tool_options(const std::string& log_path, int64_t epoch) {
  RunOptions o;
  o.env = reproducible_tool_env(epoch);
  if (!log_path.empty()) o.log_path = log_path;
  return o;
}

// Runs a mkfs-style tool; a failure is "an external tool failed" (exit 5).
void run_tool(const std::vector<std::string>& argv, const RunOptions& o, const std::string& what) {
  try {
    run(argv, o);
  } catch (Error& e) {
    if (e.exit_code() != kExitInterrupted) e.set_exit_code(kExitToolFailed);
    e.add_context("while making " + what);
    throw;
  }
}

void create_sized_file(const std::string& path, uint64_t size) {
  UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw_errno("resize", path);
}

// debugfs reads one command a line; a double quote inside a quoted word is
// written twice.
std::string debugfs_quote(const std::string& path) {
  std::string out = "\"";
  for (char c : path) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

void pin_ext4_times(const std::string& image, const Ext4Options& o,
                    const std::vector<std::string>& paths) {
  std::string script;
  std::string when = "@" + std::to_string(o.epoch);
  for (const std::string& rel : paths) {
    if (rel.find('\n') != std::string::npos) {
      log_warning("state partition: '" + rel +
                  "' has a newline in its name; its change time is not pinned, so the image "
                  "is not bit-reproducible");
      continue;
    }
    // mkfs copies the change time (which cannot be set on the build host)
    // and the access time (which reading the tree during the build moves).
    std::string path = debugfs_quote("/" + rel);
    script += "set_inode_field " + path + " ctime " + when + "\n";
    script += "set_inode_field " + path + " atime " + when + "\n";
  }
  std::string cmd_file = image + ".debugfs";
  {
    UniqueFd fd = open_file(cmd_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write_all(fd.get(), script, cmd_file);
  }
  RunOptions ro = tool_options(o.log_path, o.epoch);
  try {
    run_tool({"debugfs", "-w", "-f", cmd_file, image}, ro, "the state file system");
  } catch (...) {
    ::unlink(cmd_file.c_str());
    throw;
  }
  ::unlink(cmd_file.c_str());
  // debugfs reports per-command failures on stderr but still exits 0.
  if (!o.log_path.empty()) {
    std::string log = read_file(o.log_path);
    size_t at = log.find("set_inode_field: ");
    if (at != std::string::npos) {
      throw Error("pin change times in '" + image +
                      "': " + std::string(trim(log.substr(at, log.find('\n', at) - at))),
                  kExitToolFailed);
    }
  }
}

}  // namespace

std::vector<std::string> reproducible_tool_env(int64_t epoch) {
  return {"TZ=UTC", "LC_ALL=C", "SOURCE_DATE_EPOCH=" + std::to_string(epoch),
          "E2FSPROGS_FAKE_TIME=" + std::to_string(epoch), "MTOOLS_SKIP_CHECK=1"};
}

uint64_t make_erofs(const std::string& tree, const std::string& image, const ErofsOptions& o) {
  ::unlink(image.c_str());
  run_tool({"mkfs.erofs", "--quiet", "-zlz4", "-T" + std::to_string(o.epoch), "-U" + o.uuid, image,
            tree},
           tool_options(o.log_path, o.epoch), "the root file system");
  struct stat st {};
  if (::stat(image.c_str(), &st) != 0) throw_errno("stat", image);
  return static_cast<uint64_t>(st.st_size);
}

bool make_ext4(const std::string& tree, const std::string& image, const Ext4Options& o,
               const std::vector<std::string>& paths) {
  create_sized_file(image, o.size);
  std::vector<std::string> argv{"mkfs.ext4", "-q",   "-F",   "-T",  "default",
                                "-b",        "4096", "-I",   "256", "-L",
                                o.label,     "-U",   o.uuid, "-E",  "hash_seed=" + o.hash_seed,
                                "-d",        tree};
  if (o.inodes > 0) {
    argv.insert(argv.end() - 2, {"-N", std::to_string(o.inodes)});
  }
  argv.push_back(image);
  RunOptions ro = tool_options(o.log_path, o.epoch);
  ro.check = false;
  RunResult r = run(argv, ro);
  if (!r.ok()) {
    std::string log = o.log_path.empty() ? r.err : read_file(o.log_path);
    if (log.find("Could not allocate block") != std::string::npos ||
        log.find("No space left") != std::string::npos ||
        log.find("Could not allocate inode") != std::string::npos) {
      ::unlink(image.c_str());
      return false;
    }
    ro.check = true;
    run_tool(argv, ro, "the state file system");  // reports the failure with its log
  }
  pin_ext4_times(image, o, paths);
  return true;
}

void make_esp(const std::string& image, const EspOptions& o, const std::vector<EspFile>& files) {
  create_sized_file(image, o.size);
  RunOptions ro = tool_options(o.log_path, o.epoch);
  std::vector<std::string> argv{"mkfs.vfat", "--invariant", "-i", o.volume_id, "-n", o.label};
  // FAT32 needs at least 65525 clusters; smaller ESPs get FAT16.
  if (o.size >= kEspMinimum) argv.insert(argv.end(), {"-F", "32"});
  argv.push_back(image);
  run_tool(argv, ro, "the EFI system partition");
  std::vector<std::string> made;
  for (const EspFile& f : files) {
    std::vector<std::string> parts = split(dirname_of("/" + f.dest), '/');
    std::string dir;
    for (const std::string& p : parts) {
      if (p.empty()) continue;
      dir += "/" + p;
      if (std::find(made.begin(), made.end(), dir) != made.end()) continue;
      run_tool({"mmd", "-i", image, "::" + dir}, ro, "the EFI system partition");
      made.push_back(dir);
    }
    // mtools stamps the copy with SOURCE_DATE_EPOCH.
    run_tool({"mcopy", "-i", image, f.source, "::/" + f.dest}, ro, "the EFI system partition");
  }
}

}  // namespace kiln
