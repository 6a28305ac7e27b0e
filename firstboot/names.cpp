#include "firstboot/names.hpp"

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

bool has_control_chars(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace kiln::firstboot
