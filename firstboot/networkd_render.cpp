// network-config -> systemd-networkd .network / .link / .netdev files.
#include <algorithm>

#include "firstboot/network_config.hpp"

namespace kiln::firstboot {
namespace {

constexpr const char* kHeader = "# Written by kiln-firstboot from network-config.\n";

std::string file_id(const std::string& id) {
  std::string out;
  for (char c : id)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

std::string dhcp_value(const NetInterface& i) {
  if (i.dhcp4 && i.dhcp6) return "yes";
  if (i.dhcp4) return "ipv4";
  if (i.dhcp6) return "ipv6";
  return "no";
}

std::string network_file(const NetworkConfig& c, const NetInterface& i) {
  std::string s = kHeader;
  s += "[Match]\n";
  if (i.is_vlan) {
    s += "Name=" + i.id + "\n";
  } else if (i.set_name) {
    // The .link file renames it; match the final name.
    s += "Name=" + *i.set_name + "\n";
  } else {
    if (i.match_name) s += "Name=" + *i.match_name + "\n";
    if (i.match_mac) s += "MACAddress=" + *i.match_mac + "\n";
    if (i.match_driver) s += "Driver=" + *i.match_driver + "\n";
    if (!i.match_name && !i.match_mac && !i.match_driver) s += "Name=" + i.id + "\n";
  }
  if (i.mtu || i.optional) {
    s += "\n[Link]\n";
    if (i.mtu) s += "MTUBytes=" + std::to_string(*i.mtu) + "\n";
    if (i.optional) s += "RequiredForOnline=no\n";
  }
  s += "\n[Network]\n";
  s += "DHCP=" + dhcp_value(i) + "\n";
  if (!i.dhcp6) s += "LinkLocalAddressing=ipv6\n";
  for (const auto& a : i.addresses) s += "Address=" + a + "\n";
  for (const auto& g : i.gateways) s += "Gateway=" + g + "\n";
  std::vector<std::string> dns = i.nameservers;
  for (const auto& n : c.global_nameservers) {
    if (std::find(dns.begin(), dns.end(), n) == dns.end()) dns.push_back(n);
  }
  for (const auto& n : dns) s += "DNS=" + n + "\n";
  std::vector<std::string> search = i.search;
  for (const auto& n : c.global_search) {
    if (std::find(search.begin(), search.end(), n) == search.end()) search.push_back(n);
  }
  if (!search.empty()) {
    s += "Domains=";
    for (size_t k = 0; k < search.size(); ++k) s += (k ? " " : "") + search[k];
    s += "\n";
  }
  for (const auto& v : c.interfaces) {
    if (v.is_vlan && v.vlan_link == i.id) s += "VLAN=" + v.id + "\n";
  }
  for (const auto& r : i.routes) {
    s += "\n[Route]\n";
    if (r.to != "default") s += "Destination=" + r.to + "\n";
    s += "Gateway=" + r.via + "\n";
    if (r.metric) s += "Metric=" + std::to_string(*r.metric) + "\n";
  }
  return s;
}

}  // namespace

std::vector<NetworkdFile> render_networkd(const NetworkConfig& c) {
  std::vector<NetworkdFile> out;
  for (const auto& i : c.interfaces) {
    const std::string base = std::string(kNetworkdPrefix) + file_id(i.id);
    if (i.set_name && i.match_mac) {
      out.push_back({base + ".link", std::string(kHeader) + "[Match]\nMACAddress=" + *i.match_mac +
                                         "\n\n[Link]\nName=" + *i.set_name + "\n"});
    }
    if (i.is_vlan) {
      out.push_back(
          {base + ".netdev", std::string(kHeader) + "[NetDev]\nName=" + i.id +
                                 "\nKind=vlan\n\n[VLAN]\nId=" + std::to_string(i.vlan_id) + "\n"});
    }
    out.push_back({base + ".network", network_file(c, i)});
  }
  std::sort(out.begin(), out.end(),
            [](const NetworkdFile& a, const NetworkdFile& b) { return a.name < b.name; });
  return out;
}

}  // namespace kiln::firstboot
