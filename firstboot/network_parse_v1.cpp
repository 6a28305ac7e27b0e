// cloud-init's version 1 network-config: a list of typed entries.
#include <algorithm>

#include "firstboot/network_parse.hpp"
#include "firstboot/network_values.hpp"
#include "firstboot/yaml_helpers.hpp"

namespace kiln::firstboot {
namespace {

void read_route(const YAML::Node& n, Diagnostics& d, const std::string& what,
                std::vector<NetRoute>& out) {
  StrictMap r(n, d, what);
  if (!r.ok()) return;
  NetRoute route;
  YAML::Node net = r.get("network").IsDefined() ? r.get("network") : r.get("destination");
  r.allow("destination");
  r.allow("type");  // set on top-level route entries
  std::optional<std::string> network = read_line(net, d, what + ".network");
  std::optional<std::string> mask = read_line(r.get("netmask"), d, what + ".netmask");
  if (network) {
    if (mask) {
      auto prefix = netmask_prefix(*mask);
      if (!prefix) {
        yaml_error(d, r.get("netmask"), what + ".netmask '" + *mask + "' is not a netmask");
      } else {
        route.to = *network + "/" + std::to_string(*prefix);
      }
    } else {
      route.to = *network;
    }
    if (!route.to.empty() && route.to != "default" && !is_cidr(route.to)) {
      yaml_error(
          d, net,
          what + ".network must be an address with a netmask or prefix, got '" + *network + "'");
    }
  } else if (!net.IsDefined()) {
    yaml_error(d, n, what + " is missing required key 'network'");
  }
  YAML::Node gw = r.require("gateway");
  if (auto s = read_line(gw, d, what + ".gateway")) {
    if (!is_ip_address(*s)) {
      yaml_error(d, gw, what + ".gateway must be an IP address, got '" + *s + "'");
    } else {
      route.via = *s;
    }
  }
  if (auto metric = read_int(r.get("metric"), d, what + ".metric", 0, 4294967295LL)) {
    route.metric = static_cast<int>(*metric);
  }
  out.push_back(route);
}

void read_subnet(const YAML::Node& n, Diagnostics& d, const std::string& what, NetInterface& i) {
  StrictMap s(n, d, what);
  if (!s.ok()) return;
  YAML::Node type = s.require("type");
  auto t = read_line(type, d, what + ".type");
  if (!t) return;
  if (*t == "dhcp" || *t == "dhcp4") {
    i.dhcp4 = true;
  } else if (*t == "dhcp6") {
    i.dhcp6 = true;
  } else if (*t == "static" || *t == "static6") {
    YAML::Node addr = s.require("address");
    if (auto a = read_line(addr, d, what + ".address")) {
      std::string cidr = *a;
      if (cidr.find('/') == std::string::npos) {
        if (auto mask = read_line(s.get("netmask"), d, what + ".netmask")) {
          auto prefix = netmask_prefix(*mask);
          if (!prefix) {
            yaml_error(d, s.get("netmask"), what + ".netmask '" + *mask + "' is not a netmask");
            return;
          }
          cidr += "/" + std::to_string(*prefix);
        }
      }
      if (!is_cidr(cidr)) {
        yaml_error(d, addr, what + ".address needs a prefix or a netmask, got '" + *a + "'");
      } else {
        i.addresses.push_back(cidr);
      }
    }
    s.allow("netmask");
    YAML::Node gw = s.get("gateway");
    if (auto g = read_line(gw, d, what + ".gateway")) {
      if (!is_ip_address(*g)) {
        yaml_error(d, gw, what + ".gateway must be an IP address, got '" + *g + "'");
      } else {
        i.gateways.push_back(*g);
      }
    }
  } else if (*t == "manual") {
    // Link up, no addresses.
  } else {
    yaml_error(
        d, type,
        what + ".type must be dhcp, dhcp4, dhcp6, static, static6 or manual, got '" + *t + "'");
    return;
  }
  auto dns = read_ips(s.get("dns_nameservers"), d, what + ".dns_nameservers", false);
  i.nameservers.insert(i.nameservers.end(), dns.begin(), dns.end());
  if (auto search = read_strings(s.get("dns_search"), d, what + ".dns_search")) {
    for (const auto& e : *search) i.search.push_back(e.value);
  }
  if (YAML::Node routes = s.get("routes");
      routes.IsDefined() && expect_sequence(routes, d, what + ".routes")) {
    for (size_t k = 0; k < routes.size(); ++k) {
      read_route(routes[k], d, what + ".routes[" + std::to_string(k) + "]", i.routes);
    }
  }
}

void read_interface(StrictMap& e, Diagnostics& d, const std::string& what, bool vlan,
                    NetworkConfig& out) {
  NetInterface i;
  i.is_vlan = vlan;
  YAML::Node name = e.require("name");
  if (auto s = read_line(name, d, what + ".name")) {
    if (!is_interface_name(*s)) {
      yaml_error(d, name, what + ".name '" + *s + "' is not a valid interface name");
    } else {
      i.id = *s;
    }
  }
  if (!vlan) {
    YAML::Node mac = e.get("mac_address");
    if (auto s = read_line(mac, d, what + ".mac_address")) {
      if (!is_mac_address(*s)) {
        yaml_error(d, mac,
                   what + ".mac_address must look like 52:54:00:12:34:56, got '" + *s + "'");
      } else {
        // cloud-init renames the interface with this MAC to `name`.
        i.match_mac = *s;
        i.set_name = i.id;
      }
    }
    if (!i.match_mac) i.match_name = i.id;
  } else {
    if (auto id = read_int(e.require("vlan_id"), d, what + ".vlan_id", 0, 4094))
      i.vlan_id = static_cast<int>(*id);
    YAML::Node link = e.require("vlan_link");
    if (auto s = read_line(link, d, what + ".vlan_link")) {
      auto it = std::find_if(out.interfaces.begin(), out.interfaces.end(),
                             [&](const NetInterface& x) { return !x.is_vlan && x.id == *s; });
      if (it == out.interfaces.end()) {
        yaml_error(d, link,
                   what + ".vlan_link '" + *s + "' is not a physical interface declared before it");
      } else {
        i.vlan_link = *s;
      }
    }
  }
  i.mtu = read_mtu(e.get("mtu"), d, what + ".mtu");
  if (YAML::Node subnets = e.get("subnets");
      subnets.IsDefined() && expect_sequence(subnets, d, what + ".subnets")) {
    for (size_t k = 0; k < subnets.size(); ++k) {
      read_subnet(subnets[k], d, what + ".subnets[" + std::to_string(k) + "]", i);
    }
  }
  out.interfaces.push_back(std::move(i));
}

}  // namespace

void parse_network_v1(StrictMap& m, Diagnostics& d, NetworkConfig& out) {
  YAML::Node config = m.require("config");
  if (!config.IsDefined() || !expect_sequence(config, d, "config")) return;
  std::vector<NetRoute> global_routes;
  for (size_t k = 0; k < config.size(); ++k) {
    const std::string what = "config[" + std::to_string(k) + "]";
    StrictMap e(config[k], d, what);
    if (!e.ok()) continue;
    YAML::Node type = e.require("type");
    auto t = read_line(type, d, what + ".type");
    if (!t) continue;
    if (*t == "physical" || *t == "vlan") {
      read_interface(e, d, what, *t == "vlan", out);
    } else if (*t == "nameserver") {
      auto a = read_ips(e.get("address"), d, what + ".address", false);
      out.global_nameservers.insert(out.global_nameservers.end(), a.begin(), a.end());
      if (auto s = read_strings(e.get("search"), d, what + ".search")) {
        for (const auto& x : *s) out.global_search.push_back(x.value);
      }
    } else if (*t == "route") {
      read_route(config[k], d, what, global_routes);
      for (const auto& [key, value] : e.entries()) e.allow(key.Scalar());
    } else if (*t == "bond" || *t == "bridge" || *t == "infiniband") {
      yaml_error(
          d, type,
          what + ": type " + *t + " is not supported by kiln-firstboot (physical and vlan are)");
      for (const auto& [key, value] : e.entries()) e.allow(key.Scalar());
    } else {
      yaml_error(d, type,
                 what + ".type must be physical, vlan, nameserver or route, got '" + *t + "'");
      for (const auto& [key, value] : e.entries()) e.allow(key.Scalar());
    }
  }
  // Global routes go to the first interface that has a static address.
  if (!global_routes.empty()) {
    auto it = std::find_if(out.interfaces.begin(), out.interfaces.end(), [](const NetInterface& i) {
      return !i.addresses.empty() || i.dhcp4 || i.dhcp6;
    });
    if (it != out.interfaces.end())
      it->routes.insert(it->routes.end(), global_routes.begin(), global_routes.end());
  }
}

}  // namespace kiln::firstboot
