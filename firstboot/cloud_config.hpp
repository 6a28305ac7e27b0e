// The validated form of everything kiln-firstboot applies: cloud-config
// (after gzip/MIME decoding and merging of parts) and the rke2 section.
// Values marked "secret" never reach a log, the journal, the console or
// status.json; only their presence is reported.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "firstboot/rke2_config.hpp"

namespace kiln::firstboot {

// The operator account that the "default" users entry stands for (and that
// top-level ssh_authorized_keys and meta-data public-keys go to).
constexpr const char* kDefaultUserName = "kiln";

// Where a value was written, for checks that run after parsing.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

struct UserSpec {
  std::string name;
  bool is_default = false;  // came from the "default" entry
  std::optional<std::string> gecos;
  std::vector<std::string> groups;  // supplementary; created when missing
  std::vector<std::string> sudo;    // sudoers rules, e.g. "ALL=(ALL) NOPASSWD:ALL"
  std::optional<std::string> shell;
  bool lock_passwd = true;
  std::optional<std::string> hashed_passwd;  // secret
  std::vector<std::string> ssh_authorized_keys;
  bool system = false;
  int line = 0;  // where it was declared
};

enum class ManageEtcHosts { No, Full, LocalhostLine };

struct WriteFile {
  std::string path;     // absolute, normalised, no ".."
  std::string content;  // decoded; secret (may hold keys)
  std::string owner_user = "root";
  std::optional<std::string> owner_group;  // default: the user's primary group
  mode_t mode = 0644;
  bool append = false;
  bool defer = false;
  size_t index = 0;    // position in write_files, for progress records
  SourcePos owner_at;  // where owner was written (or the entry, by default)
};

struct CommandSpec {
  std::vector<std::string> argv;  // a shell string becomes {"/bin/sh", "-c", s}
  bool shell = false;
};

struct CloudConfig {
  std::optional<std::string> hostname;
  std::optional<std::string> fqdn;
  ManageEtcHosts manage_etc_hosts = ManageEtcHosts::No;
  std::optional<std::string> timezone;
  // users as written; "default" entries already expanded. Empty with
  // users_given false means "no users key": cloud-init then creates the
  // default user, and kiln does so when there are keys for it.
  std::vector<UserSpec> users;
  bool users_given = false;
  std::vector<std::string> ssh_authorized_keys;  // top-level: for the default user
  SourcePos ssh_authorized_keys_at;
  std::vector<WriteFile> write_files;
  std::vector<CommandSpec> bootcmd;
  std::vector<CommandSpec> runcmd;
  std::optional<Rke2Config> rke2;
};

}  // namespace kiln::firstboot
