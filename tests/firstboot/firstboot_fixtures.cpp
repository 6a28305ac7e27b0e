#include "tests/firstboot/firstboot_fixtures.hpp"

#include <unistd.h>

#include <functional>

#include <sys/stat.h>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

namespace kiln::test {

std::string make_target_root(const std::string& dir) {
  write_text(dir + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\n"
             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  write_text(dir + "/etc/group",
             "root:x:0:\ndaemon:x:1:\nsudo:x:27:\nshadow:x:42:\nnogroup:x:65534:\n");
  write_text(
      dir + "/etc/shadow",
      "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
      0640);
  write_text(dir + "/etc/gshadow", "root:*::\ndaemon:*::\nsudo:*::\nshadow:*::\nnogroup:*::\n",
             0640);
  write_text(dir + "/etc/login.defs",
             "# fixture\nUID_MIN 1000\nUID_MAX 60000\nSYS_UID_MIN 100\nSYS_UID_MAX 999\n"
             "GID_MIN 1000\nGID_MAX 60000\nSYS_GID_MIN 100\nSYS_GID_MAX 999\n");
  write_text(dir + "/etc/skel/.profile", "# fixture profile\n");
  write_text(dir + "/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 debian\n");
  write_text(
      dir + "/usr/lib/kiln/image.json",
      std::string(
          R"({"name": "fixture", "version": "1", "spec_sha256": "00", "rke2": {"version": ")") +
          kFixtureRke2Version + R"(", "prefix": "/usr/local"}})" + "\n");
  for (const char* tz : {"Etc/UTC", "Europe/Berlin"}) {
    mkdir_p(dirname_of(dir + "/usr/share/zoneinfo/" + tz));
    copy_file(std::string("/usr/share/zoneinfo/") + tz, dir + "/usr/share/zoneinfo/" + tz);
  }
  mkdir_p(dir + "/bin");
  return dir;
}

bool install_busybox(const std::string& root) {
  if (!path_exists("/bin/busybox")) return false;
  mkdir_p(root + "/bin");
  copy_file("/bin/busybox", root + "/bin/busybox");
  for (const char* applet : {"sh", "echo", "touch", "cat", "test", "true", "false", "printf"}) {
    if (::symlink("busybox", (root + "/bin/" + applet).c_str()) != 0) return false;
  }
  return true;
}

void write_seed(const std::string& dir, const std::optional<std::string>& user_data,
                const std::optional<std::string>& meta_data,
                const std::optional<std::string>& network_config) {
  mkdir_p(dir);
  if (user_data) write_text(dir + "/user-data", *user_data);
  if (meta_data) write_text(dir + "/meta-data", *meta_data);
  if (network_config) write_text(dir + "/network-config", *network_config);
}

std::map<std::string, Entry> snapshot(const std::string& dir) {
  std::map<std::string, Entry> out;
  std::function<void(const std::string&)> walk = [&](const std::string& rel) {
    for (const auto& name : list_dir(dir + rel)) {
      std::string r = rel + "/" + name;
      auto st = lstat_path(dir + r);
      if (!st) continue;
      Entry e;
      e.mode = st->st_mode & 07777;
      e.uid = st->st_uid;
      e.gid = st->st_gid;
      if (S_ISDIR(st->st_mode)) {
        e.kind = "dir";
        out[r] = e;
        walk(r);
      } else if (S_ISLNK(st->st_mode)) {
        e.kind = "link";
        char buf[4096];
        ssize_t n = ::readlink((dir + r).c_str(), buf, sizeof buf);
        e.content = std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
        out[r] = e;
      } else {
        e.kind = "file";
        e.content = read_file(dir + r);
        out[r] = e;
      }
    }
  };
  walk("");
  return out;
}

std::string firstboot_bin() {
  return bin("kiln-firstboot");
}

}  // namespace kiln::test
