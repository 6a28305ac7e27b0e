// Which values of RKE2's `profile` option a given RKE2 release accepts.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kiln::firstboot {

struct Rke2Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

// Parses "v1.30.5+rke2r1" (the leading v and the +suffix are optional).
std::optional<Rke2Version> parse_rke2_version(const std::string& text);

// The profiles this release accepts (RKE2's own validateProfile history):
// before 1.23 cis-1.5 and cis-1.6; 1.23 and 1.24 also cis-1.23; 1.25 to 1.28
// only cis-1.23, plus the generic "cis" from the October 2023 patch releases
// (1.25.15, 1.26.10, 1.27.7, 1.28.3); 1.29 cis and the deprecated cis-1.23;
// from 1.30 only cis (cis-1.23 became a fatal error).
std::vector<std::string> accepted_profiles(const Rke2Version& v);
// Every profile any release accepted, for when the version is unknown.
std::vector<std::string> all_known_profiles();

}  // namespace kiln::firstboot
