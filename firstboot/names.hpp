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
// Kubernetes label syntax, as the API server and kubelet check it: a key is
// a qualified name, [PREFIX/]NAME, PREFIX a lowercase DNS subdomain of at
// most 253 characters, NAME 1-63 of [A-Za-z0-9_.-] starting and ending
// alphanumeric; a value is empty or like NAME.
std::string check_label_key(std::string_view key);
std::string check_label_value(std::string_view value);
// A node taint as kubelet's --register-with-taints takes it:
// KEY[=VALUE]:EFFECT, EFFECT one of NoSchedule, PreferNoSchedule, NoExecute.
// Each returns "" when fine, or the reason, worded to follow the quoted
// entry ("has a key name longer than 63 characters").
std::string check_taint(std::string_view taint);
// A node label, KEY=VALUE.
std::string check_label(std::string_view label);
// No control characters (a newline would inject a line into a system file).
bool has_control_chars(std::string_view s);

}  // namespace kiln::firstboot
