// /etc/passwd, /etc/shadow, /etc/group and /etc/gshadow of a root, edited in
// memory and written back atomically (each file whole, keeping its mode and
// owner). Lines it does not understand are kept as they are. Every edit is
// idempotent: adding what exists changes nothing, so a re-run after an
// interruption converges without duplicates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "util/root_dir.hpp"

namespace kiln::firstboot {

class ColonFile {
 public:
  ColonFile(std::string rel_path, size_t fields, mode_t default_mode);
  void load(const RootDir& root);
  void save(const RootDir& root, std::optional<gid_t> default_group) const;

  [[nodiscard]] std::vector<std::string>* find(const std::string& name);
  [[nodiscard]] const std::vector<std::string>* find(const std::string& name) const;
  void add(std::vector<std::string> row);
  [[nodiscard]] const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  [[nodiscard]] bool exists() const { return exists_; }
  [[nodiscard]] bool dirty() const { return dirty_; }
  void mark_dirty() { dirty_ = true; }

 private:
  std::string rel_;
  size_t fields_;
  mode_t default_mode_;
  bool exists_ = false;
  bool dirty_ = false;
  std::vector<std::vector<std::string>> rows_;  // a row of 1 field is an opaque line
};

struct IdRange {
  long min;
  long max;
};

class AccountDb {
 public:
  explicit AccountDb(const RootDir& root);

  [[nodiscard]] bool has_user(const std::string& name) const;
  [[nodiscard]] bool has_group(const std::string& name) const;
  [[nodiscard]] std::optional<uid_t> uid_of(const std::string& user) const;
  [[nodiscard]] std::optional<gid_t> primary_gid_of(const std::string& user) const;
  [[nodiscard]] std::optional<gid_t> gid_of(const std::string& group) const;
  [[nodiscard]] std::optional<std::string> home_of(const std::string& user) const;

  // Creates the group when missing; returns its gid.
  gid_t ensure_group(const std::string& name, bool system,
                     std::optional<gid_t> preferred = std::nullopt);
  struct NewUser {
    std::string name;
    std::string gecos;
    std::string home;
    std::string shell;
    bool system = false;
  };
  // Creates the user (and a group of the same name) when missing. Returns
  // true when it was created.
  bool ensure_user(const NewUser& u);
  void ensure_member(const std::string& group, const std::string& user);
  // The shadow password field (hash, "!" or "*"); created if missing.
  [[nodiscard]] std::string password_field(const std::string& user) const;
  void set_password_field(const std::string& user, const std::string& value);

  // Writes the files that changed: group, gshadow, passwd, shadow, in that
  // order, so a user never exists before its group.
  void save();

 private:
  [[nodiscard]] bool uid_taken(long id) const;
  [[nodiscard]] bool gid_taken(long id) const;
  [[nodiscard]] long allocate(IdRange range, bool for_gid, std::optional<long> preferred) const;
  void load_login_defs();

  const RootDir& root_;
  ColonFile passwd_;
  ColonFile shadow_;
  ColonFile group_;
  ColonFile gshadow_;
  IdRange uid_range_{1000, 60000};
  IdRange sys_uid_range_{100, 999};
  IdRange gid_range_{1000, 60000};
  IdRange sys_gid_range_{100, 999};
};

}  // namespace kiln::firstboot
