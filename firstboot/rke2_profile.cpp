#include "firstboot/rke2_profile.hpp"

#include <charconv>

namespace kiln::firstboot {
namespace {

bool read_number(std::string_view& s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  return true;
}

}  // namespace

std::optional<Rke2Version> parse_rke2_version(const std::string& text) {
  std::string_view s = text;
  if (!s.empty() && s.front() == 'v') s.remove_prefix(1);
  Rke2Version v;
  if (!read_number(s, v.major) || s.empty() || s.front() != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!read_number(s, v.minor)) return std::nullopt;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    if (!read_number(s, v.patch)) return std::nullopt;
  }
  if (!s.empty() && s.front() != '+' && s.front() != '-') return std::nullopt;
  return v;
}

std::vector<std::string> accepted_profiles(const Rke2Version& v) {
  if (v.major != 1) return {"cis"};  // a future major: only the generic profile
  if (v.minor < 23) return {"cis-1.5", "cis-1.6"};
  if (v.minor < 25) return {"cis-1.5", "cis-1.6", "cis-1.23"};
  if (v.minor < 29) {
    // The generic profile arrived with the October 2023 patch releases.
    static constexpr int kFirstPatchWithCis[] = {15, 10, 7, 3};  // 1.25 .. 1.28
    if (v.patch >= kFirstPatchWithCis[v.minor - 25]) return {"cis", "cis-1.23"};
    return {"cis-1.23"};
  }
  if (v.minor == 29) return {"cis", "cis-1.23"};
  return {"cis"};
}

std::vector<std::string> all_known_profiles() {
  return {"cis", "cis-1.23", "cis-1.6", "cis-1.5"};
}

}  // namespace kiln::firstboot
