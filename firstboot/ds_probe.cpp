// The probe order, and what each source needs before it is tried.
#include <algorithm>

#include "firstboot/block_devices.hpp"
#include "firstboot/datasource.hpp"
#include "firstboot/kernel_cmdline.hpp"
#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/route_probe.hpp"

namespace kiln::firstboot {

const std::vector<std::string>& all_datasources() {
  static const std::vector<std::string> names = {"cmdline", "nocloud", "configdrive", "imds",
                                                 "seed"};
  return names;
}

ProbeResult probe_datasources(const ProbeOptions& o) {
  ProbeResult result;
  auto wanted = [&](const std::string& name) {
    return std::find(o.sources.begin(), o.sources.end(), name) != o.sources.end();
  };
  // The kernel command line's i= and h= apply to any NoCloud source.
  CmdlineNoCloud cmdline;
  if (wanted("cmdline")) {
    cmdline = parse_cmdline_nocloud(o.cmdline);
    if (!cmdline.problems.empty()) {
      Error e(cmdline.problems.front(), kExitInvalidData);
      if (cmdline.problems.size() > 1) {
        std::string rest;
        for (size_t i = 1; i < cmdline.problems.size(); ++i) rest += cmdline.problems[i] + "\n";
        e.set_detail(rest);
      }
      throw e;
    }
  }
  auto with_overrides = [&](SeedData s) {
    if (s.source == "cmdline" || s.source == "nocloud" || s.source == "seed") {
      s.instance_id_override = cmdline.instance_id;
      s.hostname_override = cmdline.local_hostname;
    }
    return s;
  };
  if (wanted("cmdline")) {
    if (cmdline.present && cmdline.seedfrom) {
      result.seed = with_overrides(*read_cmdline_seed(*cmdline.seedfrom, o.network_budget));
      return result;
    }
    result.tried.push_back(cmdline.present ? "cmdline: ds=nocloud without a seed"
                                           : "cmdline: no ds=nocloud");
  }
  std::optional<std::vector<std::string>> devices = o.devices;
  auto device_list = [&]() -> const std::vector<std::string>& {
    if (!devices) devices = system_block_devices();
    return *devices;
  };
  if (wanted("nocloud")) {
    if (auto s = read_volume_seed(device_list())) {
      result.seed = with_overrides(*s);
      return result;
    }
    result.tried.push_back("nocloud: no CIDATA volume");
  }
  if (wanted("configdrive")) {
    if (auto s = read_configdrive(device_list())) {
      result.seed = *s;
      return result;
    }
    result.tried.push_back("configdrive: no config-2 volume");
  }
  if (wanted("imds")) {
    if (o.imds_url || running_on_ec2()) {
      const std::string url = o.imds_url.value_or(kDefaultImdsUrl);
      // The endpoint's own budget starts once the kernel can route to it.
      const auto ip = url_ip_literal(url);
      if (ip && !wait_for_route(*ip, o.network_budget)) {
        result.tried.push_back("imds: no route to " + *ip + " after " +
                               std::to_string(o.network_budget.count()) + " ms");
      } else if (auto s = read_imds(url, o.imds_probe_budget, o.imds_fetch_budget)) {
        result.seed = *s;
        return result;
      } else {
        result.tried.push_back("imds: no IMDSv2 answer");
      }
    } else {
      result.tried.push_back("imds: not EC2");
    }
  }
  if (wanted("seed")) {
    const std::string dir = normalize_path(o.root + "/" + kBakedSeedDir);
    if (is_directory(dir)) {
      SeedData s = read_seed_dir(dir, kBakedSeedDir);
      s.source = "seed";
      s.location = kBakedSeedDir;
      result.seed = with_overrides(s);
      return result;
    }
    result.tried.push_back("seed: no " + std::string(kBakedSeedDir));
  }
  return result;
}

}  // namespace kiln::firstboot
