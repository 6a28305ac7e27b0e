// The top-level keys of cloud-init 22.4's cloud-config schema (Debian 12's
// cloud-init package, cloudinit/config/schemas/schema-cloud-config-v1.json).
// A key kiln-firstboot does not support but cloud-init knows is a warning;
// a key neither knows is an error.
#pragma once

#include <string>
#include <vector>

namespace kiln::firstboot {

const std::vector<std::string>& cloud_init_keys();
bool is_cloud_init_key(const std::string& key);
// Keys of a users entry that cloud-init knows.
bool is_cloud_init_user_key(const std::string& key);

}  // namespace kiln::firstboot
