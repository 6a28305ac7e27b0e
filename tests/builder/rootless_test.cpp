// Rootless builds: a non-root `kiln build` re-executes itself in a user
// namespace mapped onto the user's subordinate ids. The [root] test makes a
// user that exists only in its private mount namespace (bind-mounted copies
// of /etc/passwd, /etc/group, /etc/subuid and /etc/subgid), so the machine's
// account files are never touched.
#include "builder/rootless.hpp"

#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "tests/support/tar_builder.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using test::TarBuilder;

TEST_CASE("subordinate ranges are found by user name or uid", "[unit]") {
  const std::string text = "alice:100000:65536\n# comment\n1001:200000:70000\nbob:300000:10\n";
  auto a = find_subordinate_range(text, "alice", 1000);
  CHECK(a.start == 100000);
  CHECK(a.count == 65536);
  auto b = find_subordinate_range(text, "carol", 1001);
  CHECK(b.start == 200000);
  CHECK(b.count == 70000);
  CHECK(find_subordinate_range(text, "dave", 1002).count == 0);
}

namespace {

constexpr uid_t kTestUid = 54321;
constexpr unsigned long kSubStart = 300000;

// Replaces `file` in this mount namespace with a copy plus `extra`.
void bind_with_extra(const std::string& scratch, const std::string& file,
                     const std::string& extra) {
  const std::string copy = scratch + "/" + basename_of(file);
  std::string text = read_file_if_exists(file).value_or("");
  test::write_text(copy, text + extra, 0644);
  REQUIRE(::mount(copy.c_str(), file.c_str(), nullptr, MS_BIND, nullptr) == 0);
}

}  // namespace

TEST_CASE("a non-root kiln build runs as root of a user namespace with subordinate ids", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  if (!find_program("newuidmap") || !find_program("newgidmap")) {
    test::skip("newuidmap/newgidmap are not installed");
    return;
  }
  TempDir scratch;
  ::chmod(scratch.path().c_str(), 0755);
  bind_with_extra(scratch.path(), "/etc/passwd", "kilnrl:x:54321:54321::/nonexistent:/bin/sh\n");
  bind_with_extra(scratch.path(), "/etc/group", "kilnrl:x:54321:\n");
  bind_with_extra(scratch.path(), "/etc/subuid", "kilnrl:300000:65536\n");
  bind_with_extra(scratch.path(), "/etc/subgid", "kilnrl:300000:65536\n");

  const std::string dir = scratch.path() + "/build";
  mkdir_p(dir);
  const std::string tar = dir + "/base.tar";
  TarBuilder::Entry dev;
  dev.path = "dev/null";
  dev.type = AE_IFCHR;
  dev.mode = 0666;
  TarBuilder()
      .dir("dev", 0755)
      .entry(dev)
      .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
      .file("etc/group", "root:x:0:\n")
      .file("usr/bin/ping", "ELF", 0755)
      .xattr("security.capability", test::file_capability(13))
      .dir("var/lib/app", 0750, 1234, 5678)
      .file("var/lib/app/state", "s", 0600, 1234, 5678)
      .write(tar);
  test::write_text(dir + "/spec.yaml",
                   "name: rl\nversion: \"1\"\nbase:\n  tarball:\n    path: base.tar\n"
                   "    sha256: " +
                       sha256_file(tar) + "\noverlays: [cis]\n");
  REQUIRE(::chown(dir.c_str(), kTestUid, kTestUid) == 0);
  REQUIRE(::chown(tar.c_str(), kTestUid, kTestUid) == 0);

  // Runs kiln build as the test user; its exit status and stdout+stderr.
  auto build_as_user = [&](const std::vector<std::string>& global,
                           const std::vector<std::string>& extra) {
    const std::string log = scratch.path() + "/stderr";
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      if (::chdir(dir.c_str()) != 0 || ::setgroups(0, nullptr) != 0 ||
          ::setresgid(kTestUid, kTestUid, kTestUid) != 0 ||
          ::setresuid(kTestUid, kTestUid, kTestUid) != 0) {
        ::_exit(120);
      }
      std::vector<std::string> args{test::bin("kiln")};
      args.insert(args.end(), global.begin(), global.end());
      for (const char* a : {"build", "spec.yaml", "-o", "out", "--cache-dir"}) args.push_back(a);
      args.push_back(dir + "/cache");
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent", nullptr};
      ::execve(argv[0], argv.data(), const_cast<char**>(envp));
      ::_exit(127);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
      return std::pair<int, std::string>{-1, ""};
    }
    return std::pair<int, std::string>{WEXITSTATUS(status), read_file(log)};
  };

  // In memory: the tmpfs is mounted inside the user namespace.
  auto [mem_status, mem_out] = build_as_user({"--json"}, {"--staging", "memory"});
  INFO(mem_out);
  if (mem_out.find("cannot create a user namespace") != std::string::npos) {
    test::skip("unprivileged user namespaces are disabled here");
    return;
  }
  CHECK(mem_status == 4);
  CHECK(mem_out.find("\"staging\":\"memory\"") != std::string::npos);

  auto [exit_status, err] = build_as_user({}, {"--keep-work"});
  INFO(err);
  // The fake image has no libraries, so the build stops at the firstboot
  // step; everything before it ran as namespace root.
  CHECK(exit_status == 4);
  CHECK(err.find("kiln: error: the image lacks '/lib64/ld-linux-x86-64.so.2', the dynamic loader "
                 "kiln-firstboot needs\n") != std::string::npos);
  CHECK_FALSE(path_exists(dir + "/out"));

  std::string work;
  for (const auto& name : list_dir(dir)) {
    if (name.starts_with(".kiln-work")) work = dir + "/" + name;
  }
  REQUIRE_FALSE(work.empty());
  const std::string root = work + "/stage/rootfs";
  // Namespace ids 1.. map onto the subordinate range; 0 onto the user.
  auto st = lstat_path(root + "/var/lib/app/state");
  REQUIRE(st);
  CHECK(st->st_uid == kSubStart + 1234 - 1);
  CHECK(st->st_gid == kSubStart + 5678 - 1);
  CHECK(lstat_path(root + "/usr/bin/ping")->st_uid == kTestUid);
  char buf[64];
  CHECK(::getxattr((root + "/usr/bin/ping").c_str(), "security.capability", buf, sizeof buf) > 0);
  // The cis overlay's etcd user went into the image's passwd.
  CHECK(read_file(root + "/etc/passwd").find("\netcd:x:") != std::string::npos);
  // No device node can be made in a user namespace; it was skipped.
  CHECK_FALSE(path_exists(root + "/dev/null"));
  // What the build makes outside the tree belongs to the user.
  CHECK(lstat_path(work)->st_uid == kTestUid);
}
