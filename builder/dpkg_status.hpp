// The packages installed in an image, read from its /var/lib/dpkg/status.
#pragma once

#include <map>
#include <string>

#include "util/root_dir.hpp"

namespace kiln {

// name -> version of every package whose status is "install ok installed".
// A package installed for a second architecture is keyed "name:arch".
// Empty when the image has no dpkg database.
std::map<std::string, std::string> read_installed_packages(const RootDir& root);
std::map<std::string, std::string> parse_dpkg_status(const std::string& text);

// sha256 of the "name=version\n" lines in name order: what kiln.lock records
// for a Debian base.
std::string package_list_sha256(const std::map<std::string, std::string>& packages);

}  // namespace kiln
