// What a datasource hands over: raw user-data and network-config, and the
// instance meta-data (as NoCloud YAML text, or already parsed from a
// ConfigDrive's JSON or from IMDS). Nothing here is validated yet.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "firstboot/meta_data.hpp"
#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct SeedFile {
  std::string name;  // how diagnostics name it ("seed/user-data")
  std::string data;
};

struct SeedData {
  std::string source;    // e.g. "nocloud" or "imds"
  std::string location;  // e.g. "/dev/vdb" or "http://169.254.169.254"
  SeedFile user_data;
  std::optional<SeedFile> meta_data;  // NoCloud YAML
  std::optional<MetaData> meta;       // set by sources that parse their own meta-data
  std::optional<SeedFile> network_config;
  // Problems found while reading (missing files, oversized files, a
  // ConfigDrive's malformed JSON).
  std::vector<Diagnostic> read_problems;
  // From the kernel command line (ds=nocloud;i=...;h=...): they override
  // the seed's meta-data, as in cloud-init.
  std::optional<std::string> instance_id_override;
  std::optional<std::string> hostname_override;
};

// The files of a seed, wherever they are: a directory, or a volume read in
// user space. Paths are relative ("openstack/latest/user_data").
struct SeedFiles {
  // nullopt when absent; an Error with EFBIG when larger than `limit`.
  std::function<std::optional<std::string>(const std::string& rel, size_t limit)> read;
  std::function<bool(const std::string& rel)> exists;
  // Optional: starts reading these files ahead, so that on a slow device
  // (a seed volume early in boot) their reads overlap instead of waiting
  // one after another. Missing files are skipped.
  std::function<void(const std::vector<std::string>& rels)> prefetch;
};
SeedFiles dir_seed_files(const std::string& dir);

// A NoCloud seed's files: user-data, meta-data, optional network-config.
SeedData read_seed_files(const SeedFiles& files, const std::string& display);

// A NoCloud seed directory: user-data, meta-data, optional network-config.
// `display` prefixes the names diagnostics use ("seed" -> "seed/user-data").
// A missing required file or an oversized one is a read problem, not an
// exception; an unreadable directory throws.
SeedData read_seed_dir(const std::string& dir, const std::string& display);

}  // namespace kiln::firstboot
