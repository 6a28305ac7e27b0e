// The hygiene step: removes what must not be shared by every machine made
// from one image (identities, keys, secrets) and what only bloats it (caches,
// logs, temp files). Every removed path goes to ctx.report.removed, which the
// step's event and manifest.json show.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>

#include "builder/steps.hpp"
#include "builder/systemd_units.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

// ssh-keygen -A creates only the keys that are missing, so this is a no-op
// on every boot but the first; the keys then live in the persistent /etc.
constexpr const char* kSshKeygenUnit = R"([Unit]
Description=Generate this machine's SSH host keys
Documentation=man:ssh-keygen(1)
# kiln images ship without SSH host keys: each machine needs its own.
# No default dependencies: it starts as soon as /etc is writable, beside the
# rest of early boot, instead of after basic.target.
DefaultDependencies=no
After=local-fs.target
# After the first-boot agent (when the image has one): it gates the RKE2
# role and logins and should not share the CPU with RSA key generation, and
# host keys a seed writes (write_files) are then kept: -A makes only what is
# missing. sshd waits for both anyway.
After=kiln-firstboot.service
# Not Before=ssh.socket: naming the socket loads it, and systemd then starts
# it with the service it triggers, so Debian's disabled ssh.socket would
# listen from sockets.target on and basic.target would wait for the keys. A
# socket-activated sshd is covered anyway: Debian's ssh.socket (Accept=no)
# starts ssh.service, which wants and waits for this unit.
Before=ssh.service shutdown.target
Conflicts=shutdown.target
ConditionPathExists=/usr/bin/ssh-keygen

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
)";

class Cleaner {
 public:
  Cleaner(const RootDir& root, std::vector<std::string>& removed)
      : root_(root), removed_(removed) {}

  // Removes one path (a tree, if a directory) when it exists.
  void remove(const std::string& path) {
    if (!root_.exists(path)) return;
    root_.remove(path);
    removed_.push_back(path);
  }

  // Names in a directory of the image; empty when it is missing.
  [[nodiscard]] std::vector<std::string> list(const std::string& dir) const {
    auto st = root_.lstat(dir);
    if (!st || !S_ISDIR(st->st_mode)) return {};
    UniqueFd fd = root_.open(dir, O_RDONLY | O_DIRECTORY);
    return names(fd.get(), root_.path() + dir);
  }

  // Everything inside `dir`, except `keep`.
  void empty_dir(const std::string& dir, const std::vector<std::string>& keep = {}) {
    for (const auto& name : list(dir)) {
      if (std::find(keep.begin(), keep.end(), name) == keep.end()) remove(dir + "/" + name);
    }
  }

  // Files anywhere below `dir`; directories stay (packages expect them).
  void remove_files_below(const std::string& dir) {
    for (const auto& name : list(dir)) {
      const std::string p = dir + "/" + name;
      auto st = root_.lstat(p);
      if (st && S_ISDIR(st->st_mode)) {
        remove_files_below(p);
      } else {
        remove(p);
      }
    }
  }

  // Every directory named `name` in the tree (symlinks not followed).
  void remove_dirs_named(const std::string& name) {
    std::vector<std::string> found;
    UniqueFd top = open_file(root_.path(), O_RDONLY | O_DIRECTORY);
    find_dirs(top.get(), "", name, found);
    for (const auto& p : found) remove(p);
  }

 private:
  static std::vector<std::string> names(int dirfd, const std::string& shown) {
    int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open directory", shown);
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      int err = errno;
      ::close(fd);
      throw_errno("open directory", shown, err);
    }
    std::vector<std::string> out;
    while (struct dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") out.emplace_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }

  void find_dirs(int dirfd, const std::string& rel, const std::string& name,
                 std::vector<std::string>& found) {
    throw_if_interrupted();
    for (const auto& n : names(dirfd, root_.path() + rel)) {
      if (rel.empty() && (n == "proc" || n == "sys" || n == "dev")) continue;
      struct stat st {};
      if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
        continue;
      const std::string p = rel + "/" + n;
      if (n == name) {
        found.push_back(p);
        continue;
      }
      UniqueFd sub = open_file_at(dirfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      find_dirs(sub.get(), p, name, found);
    }
  }

  const RootDir& root_;
  std::vector<std::string>& removed_;
};

void reset_machine_id(const RootDir& root, Cleaner& clean) {
  if (!root.exists("/etc")) return;
  // "uninitialized" makes systemd treat the first boot as a first boot and
  // generate a machine id then (machine-id(5)).
  root.write_file("/etc/machine-id", "uninitialized\n", 0444, std::pair{0U, 0U});
  const std::string dbus = "/var/lib/dbus/machine-id";
  auto st = root.lstat(dbus);
  if (st && !S_ISLNK(st->st_mode)) {
    clean.remove(dbus);
    replace_symlink(root, dbus, "/etc/machine-id");
  }
}

// An uninitialized machine-id makes systemd run `preset-all` (enable only)
// on the first boot, and Debian's policy enables every unit no preset line
// names: units the packages left disabled on purpose would come up on every
// node (openssh-server's ssh.socket, listening beside ssh.service). Last in
// order, this keeps the presets systemd and kiln ship (90-systemd.preset
// enables systemd-networkd, 40-kiln-rke2 disables the roles) and leaves
// every other unit as the image was built.
constexpr const char* kDefaultPresetPath = "/usr/lib/systemd/system-preset/99-kiln-default.preset";
constexpr const char* kDefaultPreset =
    "# kiln: first boot enables only what a preset names; other units stay as built.\n"
    "disable *\n";

void pin_first_boot_presets(const RootDir& root) {
  if (!root.exists("/usr/lib/systemd/system")) return;  // no systemd in this image
  root.mkdirs(dirname_of(kDefaultPresetPath));
  root.write_file(kDefaultPresetPath, kDefaultPreset, 0644, std::pair{0U, 0U});
}

void remove_ssh_host_keys(const RootDir& root, Cleaner& clean) {
  for (const auto& name : clean.list("/etc/ssh")) {
    if (name.starts_with("ssh_host_") && (name.ends_with("_key") || name.ends_with("_key.pub"))) {
      clean.remove("/etc/ssh/" + name);
    }
  }
  if (root.exists("/usr/sbin/sshd")) {
    install_unit(root, "kiln-ssh-keygen.service", kSshKeygenUnit);
    enable_unit(root, "kiln-ssh-keygen.service", "multi-user.target");
    enable_unit(root, "kiln-ssh-keygen.service", "ssh.service");
  }
}

}  // namespace

void run_hygiene_step(BuildContext& ctx) {
  StepTimer timer("hygiene");
  RootDir root(ctx.rootfs_dir);
  std::vector<std::string>& removed = ctx.report.removed;
  Cleaner clean(root, removed);

  reset_machine_id(root, clean);
  pin_first_boot_presets(root);
  remove_ssh_host_keys(root, clean);
  // Identities and secrets of the build, not of a node.
  clean.remove("/etc/rancher/node/password");
  clean.remove("/var/lib/rancher/rke2/server");
  clean.remove("/var/lib/systemd/random-seed");
  clean.remove("/var/lib/systemd/credential.secret");
  clean.remove("/root/.bash_history");
  // The build host's name and resolver leak in through mmdebstrap; a node
  // gets its own from first boot or DHCP. A resolv.conf symlink (to a
  // resolver's stub) is the image's design and stays.
  clean.remove("/etc/hostname");
  if (auto st = root.lstat("/etc/resolv.conf"); st && S_ISREG(st->st_mode)) {
    clean.remove("/etc/resolv.conf");
  }
  // Package caches and indexes: large, stale, and an airgapped node has no
  // mirror to refresh them from.
  clean.empty_dir("/var/lib/apt/lists", {"lock", "partial"});
  clean.empty_dir("/var/lib/apt/lists/partial");
  for (const auto& name : clean.list("/var/cache/apt")) {
    if (name.ends_with(".bin")) clean.remove("/var/cache/apt/" + name);
  }
  for (const auto& name : clean.list("/var/cache/apt/archives")) {
    if (name.ends_with(".deb")) clean.remove("/var/cache/apt/archives/" + name);
  }
  clean.empty_dir("/var/cache/apt/archives/partial");
  // Logs of the build; the journal's directories are named by machine id.
  clean.empty_dir("/var/log/journal");
  clean.remove_files_below("/var/log");
  clean.empty_dir("/tmp");
  clean.empty_dir("/var/tmp");
  clean.remove_dirs_named("__pycache__");

  for (const auto& p : removed) log_debug("hygiene: removed " + p);
  timer.add_field("removed", removed.size());
  if (!removed.empty()) timer.add_field("removed_paths", join(removed, " "));
  timer.finish();
}

}  // namespace kiln
