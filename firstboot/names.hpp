// Syntax checks for names that end up in system files: host names, user and
// group names, DNS names. Each returns an empty string when the name is
// fine, or the reason it is not.
#pragma once

#include <string>
#include <string_view>

namespace kiln::firstboot {

// RFC 1123 host name (labels of [A-Za-z0-9-], not starting or ending with
// '-'), at most 253 characters; a single label is at most 63.
std::string check_hostname(std::string_view name);
// What useradd accepts by default on Debian: [a-z_][a-z0-9_-]*[$]?, at most 32.
std::string check_account_name(std::string_view name);
// No control characters (a newline would inject a line into a system file).
bool has_control_chars(std::string_view s);

}  // namespace kiln::firstboot
