#include "firstboot/kernel_cmdline.hpp"

#include "util/strings.hpp"

namespace kiln::firstboot {

std::vector<std::string> split_kernel_cmdline(std::string_view cmdline) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  bool have = false;
  for (char c : cmdline) {
    if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n')) {
      if (have) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push_back(cur);
  return out;
}

CmdlineNoCloud parse_cmdline_nocloud(std::string_view cmdline) {
  CmdlineNoCloud r;
  for (const auto& tok : split_kernel_cmdline(cmdline)) {
    std::string t;
    for (size_t i = 0; i < tok.size(); ++i) {
      if (tok[i] == '\\' && i + 1 < tok.size() && tok[i + 1] == ';') continue;  // GRUB's "\;"
      t += tok[i];
    }
    std::string_view rest;
    if (t.starts_with("ds=nocloud-net")) {
      rest = std::string_view(t).substr(14);
    } else if (t.starts_with("ds=nocloud")) {
      rest = std::string_view(t).substr(10);
    } else {
      continue;
    }
    if (!rest.empty() && rest.front() != ';') continue;  // ds=nocloudish: not ours
    r = CmdlineNoCloud{};
    r.present = true;
    r.token = tok;
    for (const auto& item : split(rest, ';')) {
      if (item.empty()) continue;
      auto eq = item.find('=');
      std::string key = item.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
      if (key == "s" || key == "seedfrom") {
        r.seedfrom = value;
      } else if (key == "i" || key == "instance-id") {
        r.instance_id = value;
      } else if (key == "h" || key == "local-hostname") {
        r.local_hostname = value;
      } else {
        r.problems.push_back("kernel command line: unknown key '" + key + "' in '" + tok +
                             "' (known: s, i, h)");
      }
    }
    if (r.seedfrom) {
      const std::string& s = *r.seedfrom;
      bool known = s.starts_with("file://") || s.starts_with("/") || s.starts_with("http://") ||
                   s.starts_with("https://");
      if (!known) {
        r.problems.push_back("kernel command line: seed '" + s +
                             "' must be file:///PATH/, /PATH/, http:// or https://");
      } else if (!s.ends_with("/")) {
        // cloud-init appends "user-data" to it as written; without the
        // slash that names the wrong file.
        r.problems.push_back("kernel command line: seed '" + s + "' must end with '/'");
      }
    }
  }
  return r;
}

}  // namespace kiln::firstboot
