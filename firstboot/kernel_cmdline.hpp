// The NoCloud switch on the kernel command line, read the way cloud-init
// 22.4 reads it: a token "ds=nocloud" or "ds=nocloud-net", optionally
// followed by ";key=value" pairs with the short keys s (seedfrom),
// i (instance-id) and h (local-hostname). The last such token wins. GRUB
// needs ';' written as "\;": a backslash that reaches the kernel is dropped.
// Double quotes around a token (ds="nocloud;s=...") are removed as the
// kernel's own parser does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::firstboot {

struct CmdlineNoCloud {
  bool present = false;
  std::string token;                    // as written, for messages
  std::optional<std::string> seedfrom;  // "file:///p/", "/p/", "http(s)://h/p/"
  std::optional<std::string> instance_id;
  std::optional<std::string> local_hostname;
  std::vector<std::string> problems;  // each a one-line reason
};

std::vector<std::string> split_kernel_cmdline(std::string_view cmdline);
CmdlineNoCloud parse_cmdline_nocloud(std::string_view cmdline);

}  // namespace kiln::firstboot
