#include "firstboot/network_values.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <arpa/inet.h>

namespace kiln::firstboot {
namespace {

bool parse_ip(std::string_view s, bool& v6) {
  std::string str(s);
  unsigned char buf[16];
  if (inet_pton(AF_INET, str.c_str(), buf) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, str.c_str(), buf) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

}  // namespace

bool is_ip_address(std::string_view s) {
  bool v6 = false;
  return parse_ip(s, v6);
}

bool is_cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  bool v6 = false;
  if (!parse_ip(s.substr(0, slash), v6)) return false;
  std::string_view p = s.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (ec != std::errc() || ptr != p.data() + p.size()) return false;
  return prefix >= 0 && prefix <= (v6 ? 128 : 32);
}

bool is_mac_address(std::string_view s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<int> netmask_prefix(std::string_view mask) {
  unsigned char b[4];
  if (inet_pton(AF_INET, std::string(mask).c_str(), b) != 1) return std::nullopt;
  uint32_t m = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  int prefix = 0;
  while (prefix < 32 && (m & (0x80000000U >> prefix)) != 0) ++prefix;
  uint32_t expected = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if (m != expected) return std::nullopt;
  return prefix;
}

bool is_interface_name(std::string_view s) {
  return !s.empty() && s.size() <= 15 && s != "." && s != ".." &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                  c == '*' || c == '?';
         });
}

}  // namespace kiln::firstboot
