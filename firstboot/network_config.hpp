// network-config (cloud-init's version 1 and version 2 formats) in one
// model, rendered as systemd-networkd files. Supported: physical/ethernet
// interfaces (match by name, MAC or driver; rename; DHCP; static addresses,
// gateways, routes, DNS; MTU) and VLANs. Bonds, bridges and Wi-Fi are
// rejected rather than ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct NetRoute {
  std::string to;   // CIDR or "default"
  std::string via;  // gateway address
  std::optional<int> metric;
};

struct NetInterface {
  std::string id;  // the config's name for it (v2 key, v1 name)
  bool is_vlan = false;
  std::optional<std::string> match_name;
  std::optional<std::string> match_mac;
  std::optional<std::string> match_driver;
  std::optional<std::string> set_name;
  std::optional<int> mtu;
  bool dhcp4 = false;
  bool dhcp6 = false;
  std::vector<std::string> addresses;  // CIDR
  std::vector<std::string> gateways;
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<NetRoute> routes;
  bool optional = false;
  // VLANs
  int vlan_id = 0;
  std::string vlan_link;  // id of the parent interface
};

struct NetworkConfig {
  int version = 2;
  std::vector<NetInterface> interfaces;
  // v1 "nameserver" entries apply to every interface.
  std::vector<std::string> global_nameservers;
  std::vector<std::string> global_search;
};

std::optional<NetworkConfig> parse_network_config(std::string_view text, Diagnostics& d);

struct NetworkdFile {
  std::string name;  // e.g. "10-kiln-eth0.network"
  std::string content;
};
// Files for /etc/systemd/network, in a stable order.
std::vector<NetworkdFile> render_networkd(const NetworkConfig& c);
// The prefix every file kiln-firstboot writes there carries.
constexpr const char* kNetworkdPrefix = "10-kiln-";
constexpr const char* kNetworkdDir = "/etc/systemd/network";

}  // namespace kiln::firstboot
