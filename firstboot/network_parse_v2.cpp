// Netplan-style version 2 network-config.
#include <algorithm>

#include "firstboot/network_parse.hpp"
#include "firstboot/network_values.hpp"
#include "firstboot/yaml_helpers.hpp"

namespace kiln::firstboot {
namespace {

// Netplan keys kiln-firstboot knows but does not apply: a warning each.
const std::vector<std::string> kKnownUnsupported = {"accept-ra",
                                                    "critical",
                                                    "dhcp-identifier",
                                                    "dhcp4-overrides",
                                                    "dhcp6-overrides",
                                                    "ipv6-privacy",
                                                    "link-local",
                                                    "macaddress",
                                                    "wakeonlan",
                                                    "ipv6-address-generation",
                                                    "ipv6-mtu",
                                                    "routing-policy",
                                                    "emit-lldp",
                                                    "receive-checksum-offload",
                                                    "transmit-checksum-offload",
                                                    "renderer"};

void read_routes(const YAML::Node& n, Diagnostics& d, const std::string& what, NetInterface& i) {
  if (!n.IsDefined() || !expect_sequence(n, d, what)) return;
  for (size_t k = 0; k < n.size(); ++k) {
    const std::string w = what + "[" + std::to_string(k) + "]";
    StrictMap r(n[k], d, w);
    if (!r.ok()) continue;
    NetRoute route;
    YAML::Node to = r.require("to");
    if (auto s = read_line(to, d, w + ".to")) {
      if (*s != "default" && *s != "0.0.0.0/0" && *s != "::/0" && !is_cidr(*s)) {
        yaml_error(d, to,
                   w + ".to must be 'default' or an address with a prefix, got '" + *s + "'");
      } else {
        route.to = *s;
      }
    }
    YAML::Node via = r.require("via");
    if (auto s = read_line(via, d, w + ".via")) {
      if (!is_ip_address(*s)) {
        yaml_error(d, via, w + ".via must be an IP address, got '" + *s + "'");
      } else {
        route.via = *s;
      }
    }
    if (auto metric = read_int(r.get("metric"), d, w + ".metric", 0, 4294967295LL)) {
      route.metric = static_cast<int>(*metric);
    }
    i.routes.push_back(route);
  }
}

void read_common(StrictMap& m, Diagnostics& d, const std::string& what, NetInterface& i) {
  for (const auto& [k, v] : m.entries()) {
    if (!k.IsScalar()) continue;
    if (std::find(kKnownUnsupported.begin(), kKnownUnsupported.end(), k.Scalar()) !=
        kKnownUnsupported.end()) {
      m.allow(k.Scalar());
      yaml_warning(d, k, what + "." + k.Scalar() + " is not supported by kiln-firstboot; ignored");
    }
  }
  i.dhcp4 = read_flag(m.get("dhcp4"), d, what + ".dhcp4").value_or(false);
  i.dhcp6 = read_flag(m.get("dhcp6"), d, what + ".dhcp6").value_or(false);
  i.addresses = read_ips(m.get("addresses"), d, what + ".addresses", true);
  for (const char* key : {"gateway4", "gateway6"}) {
    YAML::Node g = m.get(key);
    if (auto s = read_line(g, d, what + "." + key)) {
      if (!is_ip_address(*s)) {
        yaml_error(d, g, what + "." + key + " must be an IP address, got '" + *s + "'");
      } else {
        i.gateways.push_back(*s);
      }
    }
  }
  if (YAML::Node ns = m.get("nameservers"); ns.IsDefined()) {
    StrictMap n(ns, d, what + ".nameservers");
    i.nameservers = read_ips(n.get("addresses"), d, what + ".nameservers.addresses", false);
    if (auto s = read_strings(n.get("search"), d, what + ".nameservers.search", false)) {
      for (const auto& e : *s) i.search.push_back(e.value);
    }
  }
  read_routes(m.get("routes"), d, what + ".routes", i);
  i.mtu = read_mtu(m.get("mtu"), d, what + ".mtu");
  i.optional = read_flag(m.get("optional"), d, what + ".optional").value_or(false);
}

void read_ethernet(const YAML::Node& key, const YAML::Node& value, Diagnostics& d,
                   NetworkConfig& out) {
  const std::string what = "ethernets." + key.Scalar();
  StrictMap m(value, d, what);
  if (!m.ok()) return;
  NetInterface i;
  i.id = key.Scalar();
  if (!is_interface_name(i.id))
    yaml_error(d, key, what + ": '" + i.id + "' is not a valid interface name");
  if (YAML::Node match = m.get("match"); match.IsDefined()) {
    StrictMap mm(match, d, what + ".match");
    i.match_name = read_line(mm.get("name"), d, what + ".match.name");
    YAML::Node mac = mm.get("macaddress");
    if (auto s = read_line(mac, d, what + ".match.macaddress")) {
      if (!is_mac_address(*s)) {
        yaml_error(d, mac,
                   what + ".match.macaddress must look like 52:54:00:12:34:56, got '" + *s + "'");
      } else {
        i.match_mac = *s;
      }
    }
    i.match_driver = read_line(mm.get("driver"), d, what + ".match.driver");
    if (mm.ok() && !i.match_name && !i.match_mac && !i.match_driver) {
      yaml_error(d, match, what + ".match needs name, macaddress or driver");
    }
  }
  if (YAML::Node sn = m.get("set-name"); sn.IsDefined()) {
    auto s = read_line(sn, d, what + ".set-name");
    if (s && !is_interface_name(*s)) {
      yaml_error(d, sn, what + ".set-name '" + *s + "' is not a valid interface name");
    } else if (s && !i.match_mac) {
      yaml_error(d, sn,
                 what + ".set-name needs match.macaddress (renaming is done by MAC address)");
    } else {
      i.set_name = s;
    }
  }
  read_common(m, d, what, i);
  out.interfaces.push_back(std::move(i));
}

void read_vlan(const YAML::Node& key, const YAML::Node& value, Diagnostics& d, NetworkConfig& out) {
  const std::string what = "vlans." + key.Scalar();
  StrictMap m(value, d, what);
  if (!m.ok()) return;
  NetInterface i;
  i.id = key.Scalar();
  i.is_vlan = true;
  if (!is_interface_name(i.id))
    yaml_error(d, key, what + ": '" + i.id + "' is not a valid interface name");
  if (auto id = read_int(m.require("id"), d, what + ".id", 0, 4094))
    i.vlan_id = static_cast<int>(*id);
  YAML::Node link = m.require("link");
  if (auto s = read_line(link, d, what + ".link")) {
    auto it = std::find_if(out.interfaces.begin(), out.interfaces.end(),
                           [&](const NetInterface& e) { return !e.is_vlan && e.id == *s; });
    if (it == out.interfaces.end()) {
      yaml_error(d, link, what + ".link '" + *s + "' is not one of the ethernets");
    } else {
      i.vlan_link = *s;
    }
  }
  read_common(m, d, what, i);
  out.interfaces.push_back(std::move(i));
}

}  // namespace

void parse_network_v2(StrictMap& m, Diagnostics& d, NetworkConfig& out) {
  if (YAML::Node r = m.get("renderer"); r.IsDefined()) {
    auto s = read_line(r, d, "renderer");
    if (s && *s != "networkd") {
      yaml_warning(d, r, "renderer '" + *s + "' is ignored; kiln images use systemd-networkd");
    }
  }
  for (const auto& [k, v] : read_free_map(m.get("ethernets"), d, "ethernets"))
    read_ethernet(k, v, d, out);
  for (const auto& [k, v] : read_free_map(m.get("vlans"), d, "vlans")) read_vlan(k, v, d, out);
  for (const char* unsupported : {"bonds", "bridges", "wifis", "tunnels", "vrfs", "modems"}) {
    YAML::Node n = m.get(unsupported);
    if (n.IsDefined()) {
      yaml_error(d, n,
                 std::string(unsupported) +
                     " are not supported by kiln-firstboot (ethernets and vlans are)");
    }
  }
}

}  // namespace kiln::firstboot
