#include "firstboot/cloud_init_keys.hpp"

#include <algorithm>

namespace kiln::firstboot {

const std::vector<std::string>& cloud_init_keys() {
  // Every top-level property of the 22.4 schema (module keys and base
  // config), plus the merge directives that cloud-init reads from parts.
  static const std::vector<std::string> keys = {"allow_public_ssh_keys",
                                                "ansible",
                                                "apk_repos",
                                                "apt",
                                                "apt_pipelining",
                                                "apt_reboot_if_required",
                                                "apt_update",
                                                "apt_upgrade",
                                                "authkey_hash",
                                                "autoinstall",
                                                "bootcmd",
                                                "byobu_by_default",
                                                "ca-certs",
                                                "ca_certs",
                                                "chef",
                                                "chpasswd",
                                                "cloud_config_modules",
                                                "cloud_final_modules",
                                                "cloud_init_modules",
                                                "device_aliases",
                                                "disable_ec2_metadata",
                                                "disable_root",
                                                "disable_root_opts",
                                                "disk_setup",
                                                "drivers",
                                                "fan",
                                                "final_message",
                                                "fqdn",
                                                "fs_setup",
                                                "groups",
                                                "growpart",
                                                "grub-dpkg",
                                                "grub_dpkg",
                                                "hostname",
                                                "keyboard",
                                                "landscape",
                                                "locale",
                                                "locale_configfile",
                                                "lxd",
                                                "manage_etc_hosts",
                                                "manage_resolv_conf",
                                                "mcollective",
                                                "merge_how",
                                                "merge_type",
                                                "migrate",
                                                "mount_default_fields",
                                                "mounts",
                                                "no_ssh_fingerprints",
                                                "ntp",
                                                "package_reboot_if_required",
                                                "package_update",
                                                "package_upgrade",
                                                "packages",
                                                "password",
                                                "phone_home",
                                                "power_state",
                                                "prefer_fqdn_over_hostname",
                                                "preserve_hostname",
                                                "puppet",
                                                "random_seed",
                                                "reporting",
                                                "resize_rootfs",
                                                "resolv_conf",
                                                "rh_subscription",
                                                "rsyslog",
                                                "runcmd",
                                                "salt_minion",
                                                "snap",
                                                "spacewalk",
                                                "ssh",
                                                "ssh_authorized_keys",
                                                "ssh_deletekeys",
                                                "ssh_fp_console_blacklist",
                                                "ssh_genkeytypes",
                                                "ssh_import_id",
                                                "ssh_key_console_blacklist",
                                                "ssh_keys",
                                                "ssh_publish_hostkeys",
                                                "ssh_pwauth",
                                                "ssh_quiet_keygen",
                                                "swap",
                                                "timezone",
                                                "ubuntu_advantage",
                                                "updates",
                                                "user",
                                                "users",
                                                "vendor_data",
                                                "wireguard",
                                                "write_files",
                                                "yum_repo_dir",
                                                "yum_repos",
                                                "zypper"};
  return keys;
}

bool is_cloud_init_key(const std::string& key) {
  const auto& keys = cloud_init_keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool is_cloud_init_user_key(const std::string& key) {
  static const std::vector<std::string> keys = {
      "create_groups",  "expiredate",        "gecos",         "groups",      "hashed_passwd",
      "homedir",        "inactive",          "lock-passwd",   "lock_passwd", "name",
      "no_create_home", "no_log_init",       "no_user_group", "passwd",      "plain_text_passwd",
      "primary_group",  "selinux_user",      "shell",         "snapuser",    "ssh_authorized_keys",
      "ssh_import_id",  "ssh_redirect_user", "sudo",          "system",      "uid"};
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace kiln::firstboot
