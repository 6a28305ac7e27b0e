#include "firstboot/names.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace kiln::firstboot {

std::string check_hostname(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 253) return "is longer than 253 characters";
  for (const auto& label : split(name, '.')) {
    if (label.empty()) return "has an empty label";
    if (label.size() > 63) return "has a label longer than 63 characters";
    if (label.front() == '-' || label.back() == '-')
      return "has a label starting or ending with '-'";
    for (char c : label) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return "may only hold letters, digits, '-' and '.'";
    }
  }
  return "";
}

std::string check_account_name(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 32) return "is longer than 32 characters";
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '-')) ||
              (i > 0 && i + 1 == name.size() && c == '$');
    if (!ok) return "must match [a-z_][a-z0-9_-]*";
  }
  return "";
}

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// NAME of a qualified name, and a non-empty label value.
std::string check_name_part(std::string_view s, std::string_view what) {
  const std::string a = "has a " + std::string(what);
  if (s.size() > 63) return a + " longer than 63 characters";
  if (!is_alnum(s.front()) || !is_alnum(s.back()))
    return a + " that does not start and end with a letter or digit";
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
      return a + " with a character other than letters, digits, '-', '_' and '.'";
  }
  return "";
}

// A DNS subdomain in lowercase: a host name's rules, and no capitals.
std::string check_dns_subdomain(std::string_view s) {
  if (std::string why = check_hostname(s); !why.empty()) return "has a key prefix that " + why;
  if (std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return "has a key prefix with capital letters (it must be lowercase)";
  return "";
}

}  // namespace

std::string check_label_key(std::string_view key) {
  auto slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    if (slash == 0) return "has an empty key prefix";
    if (std::string why = check_dns_subdomain(key.substr(0, slash)); !why.empty()) return why;
    name = key.substr(slash + 1);
  }
  if (name.empty()) return "has an empty key name";
  if (name.find('/') != std::string_view::npos) return "has a key with more than one '/'";
  return check_name_part(name, "key name");
}

std::string check_label_value(std::string_view value) {
  return value.empty() ? "" : check_name_part(value, "value");
}

std::string check_taint(std::string_view taint) {
  auto colon = taint.rfind(':');
  if (colon == std::string_view::npos) return "has no :EFFECT (the form is KEY[=VALUE]:EFFECT)";
  std::string_view effect = taint.substr(colon + 1);
  if (effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute")
    return "has the effect '" + abbreviate(effect, 40) +
           "', not NoSchedule, PreferNoSchedule or NoExecute";
  std::string_view key_value = taint.substr(0, colon);
  auto eq = key_value.find('=');
  std::string_view key = key_value.substr(0, eq);
  if (key.empty()) return "has no key";
  if (std::string why = check_label_key(key); !why.empty()) return why;
  if (eq == std::string_view::npos) return "";
  return check_label_value(key_value.substr(eq + 1));
}

std::string check_label(std::string_view label) {
  auto eq = label.find('=');
  if (eq == std::string_view::npos) return "has no '=' (the form is KEY=VALUE)";
  if (eq == 0) return "has no key";
  if (std::string why = check_label_key(label.substr(0, eq)); !why.empty()) return why;
  return check_label_value(label.substr(eq + 1));
}

bool has_control_chars(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace kiln::firstboot
