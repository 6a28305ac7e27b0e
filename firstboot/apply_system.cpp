// hostname, /etc/hosts, timezone and network-config.
#include <unistd.h>

#include <algorithm>

#include "firstboot/apply_context.hpp"
#include "firstboot/network_config.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::string hosts_line(const Plan& p) {
  std::string host = *p.short_hostname();
  auto fqdn = p.fqdn();
  return "127.0.1.1 " + (fqdn && *fqdn != host ? *fqdn + " " : std::string()) + host;
}

std::string full_hosts(const Plan& p) {
  return "# Written by kiln-firstboot (cloud-config manage_etc_hosts).\n"
         "127.0.0.1 localhost\n" +
         hosts_line(p) +
         "\n\n"
         "::1 localhost ip6-localhost ip6-loopback\n"
         "ff02::1 ip6-allnodes\n"
         "ff02::2 ip6-allrouters\n";
}

// manage_etc_hosts: localhost -- only the 127.0.1.1 line is ours.
std::string patched_hosts(const std::string& current, const Plan& p) {
  std::vector<std::string> out;
  bool replaced = false;
  for (const auto& l : split(current, '\n')) {
    if (l.starts_with("127.0.1.1")) {
      if (!replaced) out.push_back(hosts_line(p));
      replaced = true;
    } else {
      out.push_back(l);
    }
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  if (!replaced) out.push_back(hosts_line(p));
  return join(out, "\n") + "\n";
}

}  // namespace

std::string apply_hostname(ApplyContext& ctx) {
  const Plan& p = ctx.plan;
  auto host = p.short_hostname();
  if (!host) return "no host name given";
  write_if_changed(ctx.root, "/etc/hostname", *host + "\n", 0644, ctx.owner(0, 0));
  std::string detail = *host;
  if (p.config.manage_etc_hosts == ManageEtcHosts::Full) {
    write_if_changed(ctx.root, "/etc/hosts", full_hosts(p), 0644, ctx.owner(0, 0));
    detail += ", /etc/hosts written";
  } else if (p.config.manage_etc_hosts == ManageEtcHosts::LocalhostLine) {
    write_if_changed(ctx.root, "/etc/hosts",
                     patched_hosts(ctx.root.read_file("/etc/hosts").value_or(""), p), 0644,
                     ctx.owner(0, 0));
    detail += ", /etc/hosts updated";
  }
  if (ctx.live && ::sethostname(host->data(), host->size()) != 0)
    throw_errno("set host name", *host);
  return detail;
}

std::string apply_timezone(ApplyContext& ctx) {
  const std::string& tz = *ctx.plan.config.timezone;
  // Validated against this root's zoneinfo already; check again in case
  // the root changed between validation and now.
  if (!ctx.root.exists("/usr/share/zoneinfo/" + tz)) {
    throw Error("set timezone '" + tz + "': not in " + ctx.root.path() + "/usr/share/zoneinfo");
  }
  replace_symlink(ctx.root, "/etc/localtime", "/usr/share/zoneinfo/" + tz);
  write_if_changed(ctx.root, "/etc/timezone", tz + "\n", 0644, ctx.owner(0, 0));
  return tz;
}

std::vector<std::string> kiln_networkd_files(const RootDir& root) {
  std::vector<std::string> out;
  if (!root.exists(kNetworkdDir)) return out;
  for (const auto& name : list_dir(root.resolve(kNetworkdDir))) {
    if (name.starts_with(kNetworkdPrefix)) out.push_back(name);
  }
  return out;
}

std::string apply_network(ApplyContext& ctx) {
  const std::string dir = kNetworkdDir;
  std::vector<NetworkdFile> files;
  if (ctx.plan.network) {
    files = render_networkd(*ctx.plan.network);
    ensure_dir(ctx.root, dir, 0755, std::nullopt);
  }
  for (const auto& f : files) {
    if (write_if_changed(ctx.root, dir + "/" + f.name, f.content, 0644, ctx.owner(0, 0)))
      ctx.network_changed = true;
  }
  // Files of ours that this instance does not have (an earlier instance's):
  // a new instance starts from the image's own network configuration.
  size_t removed = 0;
  for (const auto& name : kiln_networkd_files(ctx.root)) {
    bool wanted = std::any_of(files.begin(), files.end(),
                              [&](const NetworkdFile& f) { return f.name == name; });
    if (!wanted) {
      ctx.root.remove(dir + "/" + name);
      ctx.network_changed = true;
      ++removed;
    }
  }
  std::string detail = ctx.plan.network ? std::to_string(files.size()) + " networkd file" +
                                              (files.size() == 1 ? "" : "s")
                                        : std::string("no network-config");
  if (removed > 0) detail += ", " + std::to_string(removed) + " of an earlier instance removed";
  return detail;
}

}  // namespace kiln::firstboot
