#include "firstboot/cloud_config_parse.hpp"

#include <fcntl.h>

#include <algorithm>

#include <sys/stat.h>

#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/cloud_init_keys.hpp"
#include "firstboot/names.hpp"
#include "firstboot/rke2_parse.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {
namespace {

std::optional<std::string> read_host(const YAML::Node& n, Diagnostics& d, const std::string& what) {
  auto s = read_line(n, d, what);
  if (!s) return std::nullopt;
  std::string why = check_hostname(*s);
  if (!why.empty()) {
    yaml_error(d, n, what + " '" + *s + "' " + why);
    return std::nullopt;
  }
  return s;
}

ManageEtcHosts read_manage_etc_hosts(const YAML::Node& n, Diagnostics& d) {
  if (n.IsScalar() && (n.Scalar() == "localhost" || n.Scalar() == "template")) {
    return n.Scalar() == "localhost" ? ManageEtcHosts::LocalhostLine : ManageEtcHosts::Full;
  }
  if (n.IsScalar() && n.Tag() == "?") {
    Diagnostics scratch(d.file());
    if (auto b = read_flag(n, scratch, "manage_etc_hosts")) {
      return *b ? ManageEtcHosts::Full : ManageEtcHosts::No;
    }
  }
  yaml_error(d, n, "manage_etc_hosts must be true, false or 'localhost'");
  return ManageEtcHosts::No;
}

bool zoneinfo_has(const RootDir& root, const std::string& name) {
  try {
    UniqueFd fd = root.open("/usr/share/zoneinfo/" + name, O_RDONLY);
    struct stat st {};
    return ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
  } catch (const Error&) {
    return false;
  }
}

std::optional<std::string> read_timezone(const YAML::Node& n, Diagnostics& d,
                                         const TargetFacts& facts) {
  auto tz = read_line(n, d, "timezone");
  if (!tz) return std::nullopt;
  bool ok =
      !tz->empty() && !tz->starts_with("/") && std::all_of(tz->begin(), tz->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
               c == '+';
      });
  for (const auto& part : split(*tz, '/')) ok = ok && !part.empty() && part != "..";
  if (!ok) {
    yaml_error(d, n, "timezone must be a zoneinfo name such as Europe/Berlin, got '" + *tz + "'");
    return std::nullopt;
  }
  if (facts.root != nullptr && !zoneinfo_has(*facts.root, *tz)) {
    yaml_error(d, n, "timezone '" + *tz + "' is not in the image's /usr/share/zoneinfo");
    return std::nullopt;
  }
  return tz;
}

}  // namespace

const std::vector<std::string>& supported_cloud_config_keys() {
  static const std::vector<std::string> keys = {
      "hostname",    "fqdn",    "manage_etc_hosts", "timezone", "users", "ssh_authorized_keys",
      "write_files", "bootcmd", "runcmd",           "rke2"};
  return keys;
}

CloudConfigDocument parse_cloud_config_document(const YAML::Node& root, Diagnostics& d,
                                                const TargetFacts& facts) {
  CloudConfigDocument doc;
  if (!root.IsDefined() || yaml_is_null(root)) return doc;  // only the header: nothing to do
  if (!root.IsMap()) {
    yaml_error(d, root, "cloud-config must be a mapping, got " + yaml_kind(root));
    return doc;
  }
  const auto& supported = supported_cloud_config_keys();
  std::vector<std::string> candidates = supported;
  for (const auto& k : cloud_init_keys()) candidates.push_back(k);
  StrictMap m(root, d, "cloud-config");
  CloudConfig& c = doc.config;
  for (const auto& [k, v] : m.entries()) {
    if (!k.IsScalar()) continue;
    const std::string& key = k.Scalar();
    m.allow(key);
    if (std::find(supported.begin(), supported.end(), key) != supported.end()) {
      if (std::find(doc.keys.begin(), doc.keys.end(), key) != doc.keys.end())
        continue;  // duplicate
      doc.keys.push_back(key);
      if (key == "hostname") {
        c.hostname = read_host(v, d, "hostname");
      } else if (key == "fqdn") {
        c.fqdn = read_host(v, d, "fqdn");
      } else if (key == "manage_etc_hosts") {
        c.manage_etc_hosts = read_manage_etc_hosts(v, d);
      } else if (key == "timezone") {
        c.timezone = read_timezone(v, d, facts);
      } else if (key == "users") {
        c.users = parse_users(v, d);
        c.users_given = true;
      } else if (key == "ssh_authorized_keys") {
        c.ssh_authorized_keys = read_ssh_keys(v, d, "ssh_authorized_keys");
        c.ssh_authorized_keys_at = {d.file(), yaml_line(k), yaml_column(k)};
      } else if (key == "write_files") {
        c.write_files = parse_write_files(v, d);
      } else if (key == "bootcmd") {
        c.bootcmd = parse_commands(v, d, "bootcmd");
      } else if (key == "runcmd") {
        c.runcmd = parse_commands(v, d, "runcmd");
      } else if (key == "rke2") {
        c.rke2 = parse_rke2_section(v, d, facts);
      }
    } else if (is_cloud_init_key(key)) {
      yaml_warning(
          d, k,
          "'" + key + "' is valid cloud-config but kiln-firstboot does not support it; ignored");
    } else {
      std::string hint = closest_match(key, candidates);
      yaml_error(d, k,
                 "unknown key '" + key + "' in cloud-config" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
  }
  return doc;
}

void merge_cloud_config(CloudConfig& into, const CloudConfigDocument& later) {
  const CloudConfig& c = later.config;
  for (const auto& key : later.keys) {
    if (key == "hostname") into.hostname = c.hostname;
    if (key == "fqdn") into.fqdn = c.fqdn;
    if (key == "manage_etc_hosts") into.manage_etc_hosts = c.manage_etc_hosts;
    if (key == "timezone") into.timezone = c.timezone;
    if (key == "users") {
      into.users = c.users;
      into.users_given = true;
    }
    if (key == "ssh_authorized_keys") {
      into.ssh_authorized_keys = c.ssh_authorized_keys;
      into.ssh_authorized_keys_at = c.ssh_authorized_keys_at;
    }
    if (key == "write_files") into.write_files = c.write_files;
    if (key == "bootcmd") into.bootcmd = c.bootcmd;
    if (key == "runcmd") into.runcmd = c.runcmd;
    if (key == "rke2") into.rke2 = c.rke2;
  }
}

}  // namespace kiln::firstboot
