// Users and groups of an image, read from its own /etc/passwd and
// /etc/group (never this host's): owner names in specs and overlay manifests
// resolve against them, and overlays add system users and groups by editing
// /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow (each replaced
// atomically, keeping its mode and owner) — no chroot, no useradd.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "builder/spec.hpp"
#include "util/root_dir.hpp"

namespace kiln {

struct SystemUser {
  std::string name;
  std::string group;  // primary group; created when missing. Default: name.
  std::string comment;
  std::string home = "/nonexistent";
  std::string shell = "/usr/sbin/nologin";
};

class ImageAccounts {
 public:
  explicit ImageAccounts(const RootDir& root);

  [[nodiscard]] std::optional<uid_t> uid_of(const std::string& user) const;
  [[nodiscard]] std::optional<gid_t> gid_of(const std::string& group) const;
  [[nodiscard]] std::optional<gid_t> primary_gid_of(uid_t uid) const;

  // "USER[:GROUP]" as names or numbers. A user without a group gets the
  // user's primary group. Throws (exit 2) "WHERE: no user 'x' in the
  // image's /etc/passwd".
  [[nodiscard]] std::pair<uid_t, gid_t> resolve(const spec::Owner& owner,
                                                const std::string& where) const;

  // Add a system group / user unless it exists. New ids are the highest free
  // ones in the image's SYS_[UG]ID_MIN..SYS_[UG]ID_MAX (login.defs; default
  // 100..999), as `useradd --system` picks them, so the same image always
  // gets the same ids. A new user's group takes the user's id when free.
  // Returns true when something was added.
  bool add_group(const std::string& name, const std::string& where);
  bool add_user(const SystemUser& user, const std::string& where);

 private:
  struct Line {
    std::vector<std::string> fields;
  };
  void load();
  [[nodiscard]] std::pair<unsigned, unsigned> system_range(const std::string& what) const;
  void append_line(const std::string& file, const std::string& line, const std::string& where);

  const RootDir& root_;
  std::vector<Line> passwd_;
  std::vector<Line> group_;
};

}  // namespace kiln
