// Validation of a whole seed: meta-data, user-data (every part) and
// network-config, plus the checks across them and against the target. The
// result either holds everything to apply, or every problem found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "firstboot/cloud_config.hpp"
#include "firstboot/meta_data.hpp"
#include "firstboot/network_config.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/target_facts.hpp"
#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct Plan {
  MetaData meta;
  CloudConfig config;
  std::optional<NetworkConfig> network;
  std::vector<Diagnostic> diagnostics;  // errors and warnings of every file

  [[nodiscard]] bool valid() const;
  [[nodiscard]] std::vector<Diagnostic> errors() const;
  [[nodiscard]] std::vector<Diagnostic> warnings() const;
  // The names the node gets: cloud-config fqdn/hostname first, then the
  // meta-data's local-hostname (as cloud-init resolves them).
  [[nodiscard]] std::optional<std::string> short_hostname() const;
  [[nodiscard]] std::optional<std::string> fqdn() const;
};

// The seed's meta-data: as its source parsed it (IMDS, ConfigDrive), or
// NoCloud's YAML parsed here, with what was wrong in it. Read once per run:
// the agent's "already applied?" check and the plan share it.
struct SeedMeta {
  std::optional<MetaData> meta;
  std::vector<Diagnostic> problems;
};
SeedMeta read_seed_meta(const SeedData& seed);

Plan build_plan(const SeedData& seed, const SeedMeta& meta, const TargetFacts& facts);
Plan build_plan(const SeedData& seed, const TargetFacts& facts);

}  // namespace kiln::firstboot
