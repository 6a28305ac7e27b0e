// Where the data comes from. Datasources are probed in a fixed order and the
// first one with data wins:
//   cmdline      ds=nocloud[-net];s=SEED on the kernel command line
//   nocloud      a vfat/iso9660 volume labelled CIDATA or cidata
//   configdrive  a volume labelled config-2 (OpenStack layout)
//   imds         EC2 IMDSv2 (only on EC2, or with an explicit URL)
//   seed         the seed baked into the image at /usr/lib/kiln/seed
// Only the chosen source waits for the network, and every wait is bounded.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "firstboot/seed_data.hpp"

namespace kiln::firstboot {

constexpr const char* kBakedSeedDir = "/usr/lib/kiln/seed";
constexpr const char* kDefaultImdsUrl = "http://169.254.169.254";

const std::vector<std::string>& all_datasources();

struct ProbeOptions {
  std::string root = "/";  // the baked seed is read from ROOT/usr/lib/kiln/seed
  std::vector<std::string> sources = all_datasources();
  std::string cmdline;  // the kernel command line to read
  // Devices to probe for volumes; nullopt scans /sys/class/block.
  std::optional<std::vector<std::string>> devices;
  // IMDS base URL; without it IMDS is probed only when DMI says EC2.
  std::optional<std::string> imds_url;
  // A missing IMDS endpoint costs at most this much in total.
  std::chrono::milliseconds imds_probe_budget{2000};
  // Once IMDS answered, all its remaining requests together.
  std::chrono::milliseconds imds_fetch_budget{10000};
  // The network is waited for, up to this long, only where the source
  // needs it: an http(s) seed named on the kernel command line (the user
  // asked for it), and IMDS on EC2 (a route to the endpoint before the
  // imds_probe_budget starts: DHCP may still be running).
  std::chrono::milliseconds network_budget{30000};
};

struct ProbeResult {
  std::optional<SeedData> seed;    // nullopt: no datasource had data
  std::vector<std::string> tried;  // "cmdline: no ds=nocloud", ... for the status
};

// Throws kiln::Error when a source that is present cannot be read (exit 1),
// or with exit code 2 when the kernel command line itself is malformed.
ProbeResult probe_datasources(const ProbeOptions& options);

// The individual sources, for tests and for the probe.
std::optional<SeedData> read_cmdline_seed(const std::string& seedfrom,
                                          std::chrono::milliseconds network_budget);
std::optional<SeedData> read_volume_seed(const std::vector<std::string>& devices);
std::optional<SeedData> read_configdrive(const std::vector<std::string>& devices);
// ConfigDrive's layout in a mounted (or plain) directory, or in any SeedFiles.
SeedData read_configdrive_dir(const std::string& dir, const std::string& location);
SeedData read_configdrive_files(const SeedFiles& files, const std::string& location);
std::optional<SeedData> read_imds(const std::string& base_url,
                                  std::chrono::milliseconds probe_budget,
                                  std::chrono::milliseconds fetch_budget);
// DMI says this machine is an EC2 instance.
bool running_on_ec2();

}  // namespace kiln::firstboot
