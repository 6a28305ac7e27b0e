// Installing and enabling systemd units in an image tree without running
// systemctl: the unit goes to /usr/lib/systemd/system, and enabling it is the
// symlink `systemctl enable` would make under /etc/systemd/system.
#pragma once

#include <string>

#include "util/root_dir.hpp"

namespace kiln {

constexpr const char* kImageUnitDir = "/usr/lib/systemd/system";

void install_unit(const RootDir& root, const std::string& name, const std::string& content);
// /etc/systemd/system/WANTED_BY.wants/NAME -> /usr/lib/systemd/system/NAME
void enable_unit(const RootDir& root, const std::string& name, const std::string& wanted_by);
// Creates or replaces the symlink `link` (inside root) pointing at `target`.
void replace_symlink(const RootDir& root, const std::string& link, const std::string& target);

}  // namespace kiln
