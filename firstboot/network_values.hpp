// Address checks shared by the network-config parsers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::firstboot {

bool is_ip_address(std::string_view s);
// "10.0.0.5/24" or "fd00::5/64"; a bare address is not a CIDR.
bool is_cidr(std::string_view s);
bool is_mac_address(std::string_view s);
// 255.255.255.0 -> 24; nullopt if not a contiguous IPv4 netmask.
std::optional<int> netmask_prefix(std::string_view mask);
// A name usable as a network interface name (and in a file name).
bool is_interface_name(std::string_view s);

}  // namespace kiln::firstboot
