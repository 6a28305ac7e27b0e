// NoCloud: a seed named on the kernel command line (a directory or an
// http(s) URL), and CIDATA volumes.
#include <cerrno>

#include "firstboot/block_devices.hpp"
#include "firstboot/datasource.hpp"
#include "firstboot/http_client.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/volume_mount.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

// One file of an http seed: 200 is data, 404 is "absent", anything else
// (or no answer before the deadline) is a failure of the source.
std::optional<std::string> fetch_seed_file(const std::string& url, size_t limit,
                                           std::chrono::steady_clock::time_point deadline,
                                           SeedData& seed, const std::string& name, bool required) {
  HttpRequest req;
  req.url = url;
  req.timeout = std::chrono::milliseconds(5000);
  req.max_bytes = limit;
  HttpResult r = http_request_until(req, deadline);
  if (r.ok()) return r.body;
  if (r.status == 404) {
    if (required)
      seed.read_problems.push_back({name, 0, 0, "missing (the seed URL answered 404)", false});
    return std::nullopt;
  }
  if (r.error.starts_with("response larger")) {
    seed.read_problems.push_back(
        {name, 0, 0, "is larger than " + human_bytes(limit) + " (the limit)", false});
    return std::nullopt;
  }
  throw Error("fetch '" + url +
              "': " + (r.status != 0 ? "HTTP status " + std::to_string(r.status) : r.error));
}

}  // namespace

std::optional<SeedData> read_cmdline_seed(const std::string& seedfrom,
                                          std::chrono::milliseconds network_budget) {
  if (seedfrom.starts_with("file://") || seedfrom.starts_with("/")) {
    std::string dir = seedfrom.starts_with("file://") ? seedfrom.substr(7) : seedfrom;
    if (!is_directory(dir))
      throw Error("read seed '" + seedfrom + "' from the kernel command line: not a directory", 1,
                  ENOENT);
    SeedData s = read_seed_dir(dir, seedfrom.substr(0, seedfrom.size() - 1));
    s.source = "cmdline";
    s.location = seedfrom;
    return s;
  }
  // http(s): wait for the network, bounded.
  auto deadline = std::chrono::steady_clock::now() + network_budget;
  SeedData s;
  s.source = "cmdline";
  s.location = seedfrom;
  if (auto md = fetch_seed_file(seedfrom + "meta-data", kMaxMetaDataBytes, deadline, s,
                                seedfrom + "meta-data", true)) {
    s.meta_data = SeedFile{seedfrom + "meta-data", *md};
  }
  s.user_data.name = seedfrom + "user-data";
  if (auto ud = fetch_seed_file(seedfrom + "user-data", kMaxUserDataBytes, deadline, s,
                                s.user_data.name, true)) {
    s.user_data.data = *ud;
  }
  if (auto nc = fetch_seed_file(seedfrom + "network-config", kMaxNetworkConfigBytes, deadline, s,
                                seedfrom + "network-config", false)) {
    s.network_config = SeedFile{seedfrom + "network-config", *nc};
  }
  return s;
}

std::optional<SeedData> read_volume_seed(const std::vector<std::string>& devices) {
  auto volume = find_volume(devices, {"CIDATA", "cidata"});
  if (!volume) return std::nullopt;
  SeedData s = read_seed_volume(
      *volume, [&](const SeedFiles& files) { return read_seed_files(files, volume->device); });
  s.source = "nocloud";
  s.location = volume->device;
  return s;
}

}  // namespace kiln::firstboot
