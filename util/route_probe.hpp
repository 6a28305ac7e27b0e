// Whether the kernel can route to an address yet, asked without sending a
// packet: connect(2) on a UDP socket only picks a route (ENETUNREACH while
// none exists). Early in boot the network may still be coming up (DHCP,
// link negotiation); a client that needs one peer waits for a route to it
// instead of for "the network" as a whole.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kiln {

// ip is an IPv4 or IPv6 literal. Throws Error (EINVAL) for anything else,
// and for socket failures other than "no route".
bool has_route_to(const std::string& ip);

// Polls has_route_to every `interval` until it holds or `budget` is spent.
bool wait_for_route(const std::string& ip, std::chrono::milliseconds budget,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// The host of an http(s) URL when it is an IP literal ("169.254.169.254",
// "fd00:ec2::254" from "[fd00:ec2::254]"); nullopt for a host name, which
// needs name resolution before any route can be asked for.
std::optional<std::string> url_ip_literal(const std::string& url);

}  // namespace kiln
