// NoCloud meta-data and the kernel command line, read as cloud-init reads them.
#include <catch2/catch.hpp>

#include "firstboot/kernel_cmdline.hpp"
#include "firstboot/meta_data.hpp"

using namespace kiln;
using namespace kiln::firstboot;

TEST_CASE("meta-data as cloud-localds writes it (JSON) and as YAML", "[unit]") {
  Diagnostics d("md");
  auto json = parse_nocloud_meta_data(
      R"({"instance-id": "iid-local01", "local-hostname": "myhost", "dsmode": "local"})", d);
  REQUIRE(json);
  CHECK(json->instance_id == "iid-local01");
  CHECK(json->local_hostname == "myhost");
  auto yaml = parse_nocloud_meta_data(
      "instance-id: i-9\npublic-keys:\n  op: ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAIKeyA000000000000000000000000000000000000000 op@x\n  two: [ssh-rsa "
      "AAAAB3NzaC1yc2EAAAADAQABAAAAEgBraWxuLXRlc3QtcnNhLXR3bw== two@x]\n",
      d);
  REQUIRE(yaml);
  CHECK(yaml->public_keys ==
        std::vector<std::string>{
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyA000000000000000000000000000000000000000 op@x",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAEgBraWxuLXRlc3QtcnNhLXR3bw== two@x"});
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("meta-data errors", "[unit]") {
  Diagnostics d("md");
  CHECK_FALSE(parse_nocloud_meta_data("[1, 2]", d));
  CHECK_FALSE(parse_nocloud_meta_data("instance-id: a b\ndsmode: fast\n", d));
  std::vector<std::string> got;
  for (const auto& e : d.errors()) got.push_back(e.str());
  CHECK(got ==
        std::vector<std::string>{
            "md:1:1: meta-data must be a mapping, got a sequence",
            "md:1:14: instance-id 'a b' may only hold letters, digits, '.', '_', '-' and ':'",
            "md:2:9: dsmode must be local, net, pass or disabled, got 'fast'",
        });
}

TEST_CASE("kernel command line: ds=nocloud with s=, i= and h=, quoting and GRUB escapes",
          "[unit]") {
  auto a = parse_cmdline_nocloud(
      "BOOT_IMAGE=/vmlinuz ro ds=nocloud;s=file:///var/seed/;h=node1;i=iid-7 quiet");
  CHECK(a.present);
  CHECK(a.seedfrom == "file:///var/seed/");
  CHECK(a.local_hostname == "node1");
  CHECK(a.instance_id == "iid-7");
  CHECK(a.problems.empty());
  auto b = parse_cmdline_nocloud(
      R"(console=ttyS0 "ds=nocloud-net;s=http://10.0.0.1:8000/seeds/a b/" x)");
  CHECK(b.seedfrom == "http://10.0.0.1:8000/seeds/a b/");
  auto c = parse_cmdline_nocloud(R"(ds=nocloud\;s=/seed/\;seedfrom=/other/)");
  CHECK(c.seedfrom == "/other/");  // the long key name works too; the last value wins
  auto d = parse_cmdline_nocloud("ds=nocloud");
  CHECK(d.present);
  CHECK_FALSE(d.seedfrom);
  CHECK_FALSE(parse_cmdline_nocloud("ds=nocloudy;s=/x/ xds=nocloud").present);
  CHECK_FALSE(parse_cmdline_nocloud("root=/dev/vda").present);
  // The last ds= token wins, as in cloud-init.
  CHECK(parse_cmdline_nocloud("ds=nocloud;s=/a/ ds=nocloud;s=/b/").seedfrom == "/b/");
}

TEST_CASE("kernel command line problems are one line each", "[unit]") {
  CHECK(parse_cmdline_nocloud("ds=nocloud;s=http://h/seed").problems ==
        std::vector<std::string>{"kernel command line: seed 'http://h/seed' must end with '/'"});
  CHECK(parse_cmdline_nocloud("ds=nocloud;s=ftp://h/").problems ==
        std::vector<std::string>{"kernel command line: seed 'ftp://h/' must be file:///PATH/, "
                                 "/PATH/, http:// or https://"});
  CHECK(parse_cmdline_nocloud("ds=nocloud;x=1").problems ==
        std::vector<std::string>{
            "kernel command line: unknown key 'x' in 'ds=nocloud;x=1' (known: s, i, h)"});
}
