#include <map>

#include <catch2/catch.hpp>

#include "firstboot/network_config.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

std::map<std::string, std::string> render(const std::string& yaml) {
  Diagnostics d("nc");
  auto c = parse_network_config(yaml, d);
  INFO(d.render_errors());
  REQUIRE(c);
  std::map<std::string, std::string> out;
  for (const auto& f : render_networkd(*c)) out[f.name] = f.content;
  return out;
}

}  // namespace

TEST_CASE("network-config v2 becomes .network, .link and .netdev files", "[unit]") {
  auto files = render(R"(network:
  version: 2
  ethernets:
    eth0:
      match: {macaddress: "52:54:00:12:34:56"}
      set-name: lan0
      addresses: [10.0.0.10/24, "fd00::10/64"]
      gateway4: 10.0.0.1
      nameservers: {addresses: [10.0.0.2], search: [lab]}
      routes: [{to: 192.168.0.0/16, via: 10.0.0.254, metric: 5}]
      mtu: 9000
    eth1:
      dhcp4: true
      dhcp6: true
      optional: true
  vlans:
    vlan20: {id: 20, link: eth1, dhcp4: true}
)");
  REQUIRE(files.size() == 5);
  CHECK(files["10-kiln-eth0.link"] ==
        "# Written by kiln-firstboot from "
        "network-config.\n[Match]\nMACAddress=52:54:00:12:34:56\n\n[Link]\nName=lan0\n");
  CHECK(files["10-kiln-eth0.network"] ==
        "# Written by kiln-firstboot from network-config.\n"
        "[Match]\nName=lan0\n\n[Link]\nMTUBytes=9000\n\n"
        "[Network]\nDHCP=no\nLinkLocalAddressing=ipv6\n"
        "Address=10.0.0.10/24\nAddress=fd00::10/64\nGateway=10.0.0.1\n"
        "DNS=10.0.0.2\nDomains=lab\n\n"
        "[Route]\nDestination=192.168.0.0/16\nGateway=10.0.0.254\nMetric=5\n");
  CHECK(files["10-kiln-eth1.network"] ==
        "# Written by kiln-firstboot from network-config.\n"
        "[Match]\nName=eth1\n\n[Link]\nRequiredForOnline=no\n\n"
        "[Network]\nDHCP=yes\nVLAN=vlan20\n");
  CHECK(files["10-kiln-vlan20.netdev"] ==
        "# Written by kiln-firstboot from "
        "network-config.\n[NetDev]\nName=vlan20\nKind=vlan\n\n[VLAN]\nId=20\n");
  CHECK(files["10-kiln-vlan20.network"] ==
        "# Written by kiln-firstboot from network-config.\n"
        "[Match]\nName=vlan20\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=ipv6\n");
}

TEST_CASE("network-config v1 physical, nameserver and route entries", "[unit]") {
  auto files = render(R"(version: 1
config:
  - type: physical
    name: eth0
    subnets:
      - type: static
        address: 10.1.0.5
        netmask: 255.255.0.0
        gateway: 10.1.0.1
        dns_nameservers: [10.1.0.2]
        routes: [{network: 172.16.0.0, netmask: 255.240.0.0, gateway: 10.1.0.254}]
  - type: physical
    name: eth1
    mac_address: "52:54:00:00:00:01"
    subnets: [{type: dhcp6}]
  - type: nameserver
    address: [9.9.9.9]
    search: [corp]
)");
  REQUIRE(files.size() == 3);
  CHECK(files["10-kiln-eth0.network"] ==
        "# Written by kiln-firstboot from network-config.\n"
        "[Match]\nName=eth0\n\n[Network]\nDHCP=no\nLinkLocalAddressing=ipv6\n"
        "Address=10.1.0.5/16\nGateway=10.1.0.1\nDNS=10.1.0.2\nDNS=9.9.9.9\nDomains=corp\n\n"
        "[Route]\nDestination=172.16.0.0/12\nGateway=10.1.0.254\n");
  CHECK(files["10-kiln-eth1.link"] ==
        "# Written by kiln-firstboot from "
        "network-config.\n[Match]\nMACAddress=52:54:00:00:00:01\n\n[Link]\nName=eth1\n");
  CHECK(files["10-kiln-eth1.network"] ==
        "# Written by kiln-firstboot from network-config.\n"
        "[Match]\nName=eth1\n\n[Network]\nDHCP=ipv6\nDNS=9.9.9.9\nDomains=corp\n");
}

TEST_CASE("network-config problems are reported with positions and unsupported netplan keys warn",
          "[unit]") {
  Diagnostics d("nc");
  auto c = parse_network_config(
      "version: 2\nethernets:\n  eth0:\n    wakeonlan: true\n    gateway4: 300.1.1.1\n"
      "    match: {}\n    set-name: x\n",
      d);
  CHECK_FALSE(c);
  std::vector<std::string> got;
  for (const auto& i : d.items()) got.push_back(i.str());
  CHECK(got ==
        std::vector<std::string>{
            "nc:6:12: ethernets.eth0.match needs name, macaddress or driver",
            "nc:7:15: ethernets.eth0.set-name needs match.macaddress (renaming is done by MAC "
            "address)",
            "nc:4:5: warning: ethernets.eth0.wakeonlan is not supported by kiln-firstboot; ignored",
            "nc:5:15: ethernets.eth0.gateway4 must be an IP address, got '300.1.1.1'",
        });
}
