// cloud-config parsing: every supported key, the warnings for cloud-init
// keys kiln does not apply, and the default-user rules.
#include <catch2/catch.hpp>

#include "firstboot/plan.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

Plan plan_for(const std::string& user_data, const std::string& meta = "instance-id: i-1\n") {
  SeedData s;
  s.user_data = {"ud", user_data};
  s.meta_data = SeedFile{"md", meta};
  return build_plan(s, TargetFacts{});
}

std::vector<std::string> strs(const std::vector<Diagnostic>& v) {
  std::vector<std::string> out;
  for (const auto& d : v) out.push_back(d.str());
  return out;
}

}  // namespace

TEST_CASE("hostname, fqdn, manage_etc_hosts and timezone are read", "[unit]") {
  Plan p = plan_for(
      "#cloud-config\nhostname: web1\nfqdn: web1.example.com\nmanage_etc_hosts: "
      "localhost\ntimezone: Europe/Berlin\n");
  REQUIRE(p.valid());
  CHECK(p.short_hostname() == "web1");
  CHECK(p.fqdn() == "web1.example.com");
  CHECK(p.config.manage_etc_hosts == ManageEtcHosts::LocalhostLine);
  CHECK(p.config.timezone == "Europe/Berlin");
  CHECK(plan_for("#cloud-config\nmanage_etc_hosts: yes\n").config.manage_etc_hosts ==
        ManageEtcHosts::Full);
}

TEST_CASE("host names fall back to the meta-data's local-hostname, as cloud-init does", "[unit]") {
  Plan p = plan_for("#cloud-config\n", "instance-id: i-1\nlocal-hostname: node7.lab.local\n");
  CHECK(p.short_hostname() == "node7");
  CHECK(p.fqdn() == "node7.lab.local");
  Plan q = plan_for("#cloud-config\nhostname: db.lab.local\n");
  CHECK(q.short_hostname() == "db");
  CHECK(q.fqdn() == "db.lab.local");
  CHECK(plan_for("#cloud-config\n").short_hostname() == std::nullopt);
}

TEST_CASE("valid cloud-init keys that kiln does not apply are warnings, never silence", "[unit]") {
  Plan p = plan_for(
      "#cloud-config\npackages: [vim]\nchpasswd: {expire: false}\nhostname: a\ngrowpart: {mode: "
      "auto}\n");
  CHECK(p.valid());
  CHECK(strs(p.warnings()) == std::vector<std::string>{
                                  "ud:2:1: warning: 'packages' is valid cloud-config but "
                                  "kiln-firstboot does not support it; ignored",
                                  "ud:3:1: warning: 'chpasswd' is valid cloud-config but "
                                  "kiln-firstboot does not support it; ignored",
                                  "ud:5:1: warning: 'growpart' is valid cloud-config but "
                                  "kiln-firstboot does not support it; ignored",
                              });
}

TEST_CASE("users entries: default, plain names and mappings with every supported key", "[unit]") {
  Plan p = plan_for(R"(#cloud-config
users:
  - default
  - bob
  - name: carol
    gecos: Carol C
    groups: "adm, video"
    sudo: false
    shell: /bin/zsh
    lock_passwd: no
    hashed_passwd: "$6$salt$hash"
    ssh_authorized_keys: ["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAFABraWxuLXRlc3QtcnNhLWNhcm9s carol@x"]
    system: true
    uid: 1234
)");
  CHECK(p.valid());
  REQUIRE(p.config.users.size() == 3);
  const auto& d = p.config.users[0];
  CHECK(d.is_default);
  CHECK(d.name == "kiln");
  CHECK(d.sudo == std::vector<std::string>{"ALL=(ALL) NOPASSWD:ALL"});
  CHECK(p.config.users[1].name == "bob");
  CHECK(p.config.users[1].lock_passwd);
  const auto& c = p.config.users[2];
  CHECK(c.gecos == "Carol C");
  CHECK(c.groups == std::vector<std::string>{"adm", "video"});
  CHECK(c.sudo.empty());
  CHECK(c.shell == "/bin/zsh");
  CHECK_FALSE(c.lock_passwd);
  CHECK(c.hashed_passwd == "$6$salt$hash");
  CHECK(c.ssh_authorized_keys ==
        std::vector<std::string>{
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAFABraWxuLXRlc3QtcnNhLWNhcm9s carol@x"});
  CHECK(c.system);
  CHECK(strs(p.warnings()) ==
        std::vector<std::string>{"ud:14:5: warning: users[2].uid is valid cloud-config but "
                                 "kiln-firstboot does not support it; ignored"});
}

TEST_CASE("top-level keys and meta-data public-keys go to the default user", "[unit]") {
  // No users key: the default user exists because there are keys for it.
  Plan p = plan_for(
      "#cloud-config\nssh_authorized_keys: [\"ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAIKeyA000000000000000000000000000000000000000 top@x\"]\n",
      "instance-id: i-1\npublic-keys:\n  - ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAIKeyB000000000000000000000000000000000000000 meta@x\n");
  REQUIRE(p.valid());
  REQUIRE(p.config.users.size() == 1);
  CHECK(p.config.users[0].is_default);
  CHECK(
      p.config.users[0].ssh_authorized_keys ==
      std::vector<std::string>{
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyA000000000000000000000000000000000000000 top@x",
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyB000000000000000000000000000000000000000 "
          "meta@x"});
  // No users key and no keys: nobody is created.
  CHECK(plan_for("#cloud-config\nhostname: a\n").config.users.empty());
  // users without "default": meta-data keys are a warning, not an install.
  Plan q = plan_for("#cloud-config\nusers: [alice]\n",
                    "instance-id: i-1\npublic-keys: {k1: ssh-ed25519 "
                    "AAAAC3NzaC1lZDI1NTE5AAAAIKeyC000000000000000000000000000000000000000 x@y}\n");
  CHECK(q.valid());
  CHECK(strs(q.warnings()) ==
        std::vector<std::string>{
            "md: warning: meta-data public-keys are not installed: users does not list 'default'"});
}

TEST_CASE("write_files entries are decoded at validation time", "[unit]") {
  Plan p = plan_for(R"(#cloud-config
write_files:
  - path: /etc/a
    content: plain
  - path: /etc/b
    encoding: base64
    content: aGVsbG8=
    permissions: "0o600"
    owner: daemon
  - path: /etc/c
    encoding: gzip
    content: !!binary |
      H4sIAAAAAAACA8tIzcnJBwCGphA2BQAAAA==
    permissions: 0755
    append: true
    defer: yes
  - path: /etc//d/./e
)");
  for (const auto& d : p.diagnostics) UNSCOPED_INFO(d.str());
  REQUIRE(p.valid());
  const auto& f = p.config.write_files;
  REQUIRE(f.size() == 4);
  CHECK(f[0].content == "plain");
  CHECK(f[0].mode == 0644);
  CHECK(f[0].owner_user == "root");
  CHECK(f[1].content == "hello");
  CHECK(f[1].mode == 0600);
  CHECK(f[1].owner_user == "daemon");
  CHECK_FALSE(f[1].owner_group);
  CHECK(f[2].content == "hello");
  CHECK(f[2].mode == 0755);
  CHECK(f[2].append);
  CHECK(f[2].defer);
  CHECK(f[3].path == "/etc/d/e");
  CHECK(f[3].content.empty());
}

TEST_CASE("bootcmd and runcmd take argv lists and shell strings", "[unit]") {
  Plan p = plan_for(
      "#cloud-config\nbootcmd:\n  - echo $HOME > /x\nruncmd:\n  - [ls, -l, /]\n  - 'true'\n");
  REQUIRE(p.valid());
  REQUIRE(p.config.bootcmd.size() == 1);
  CHECK(p.config.bootcmd[0].shell);
  CHECK(p.config.bootcmd[0].argv == std::vector<std::string>{"/bin/sh", "-c", "echo $HOME > /x"});
  REQUIRE(p.config.runcmd.size() == 2);
  CHECK(p.config.runcmd[0].argv == std::vector<std::string>{"ls", "-l", "/"});
  CHECK_FALSE(p.config.runcmd[0].shell);
}

TEST_CASE("every error in a document is reported, with its position", "[unit]") {
  Plan p = plan_for(
      "#cloud-config\nhostname: [x]\ntimezone: 5/../x\nusers: 3\nwrite_files: {}\nrunmcd: []\n");
  CHECK(strs(p.errors()) ==
        std::vector<std::string>{
            "ud:2:11: hostname must be a string, got a sequence",
            "ud:3:11: timezone must be a zoneinfo name such as Europe/Berlin, got '5/../x'",
            "ud:4:8: users[0] user name '3' must match [a-z_][a-z0-9_-]*",
            "ud:5:14: write_files must be a list, got a mapping",
            "ud:6:1: unknown key 'runmcd' in cloud-config; did you mean 'runcmd'?",
        });
}

TEST_CASE("secret values never appear in validation messages", "[unit]") {
  Plan p = plan_for(R"(#cloud-config
users:
  - name: a
    hashed_passwd: "s3cr3t-plain"
write_files:
  - path: /x
    encoding: b64
    content: "s3cr3t!!"
rke2:
  role: agent
  server: https://h:9345
  token: "s3cr3t token"
)");
  CHECK(p.errors().size() == 3);
  for (const auto& e : p.errors()) CHECK(e.str().find("s3cr3t") == std::string::npos);
}
