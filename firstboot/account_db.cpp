#include "firstboot/account_db.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include <sys/stat.h>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::optional<long> to_long(const std::string& s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string days_since_epoch() {
  return std::to_string(std::time(nullptr) / 86400);
}

}  // namespace

ColonFile::ColonFile(std::string rel_path, size_t fields, mode_t default_mode)
    : rel_(std::move(rel_path)), fields_(fields), default_mode_(default_mode) {}

void ColonFile::load(const RootDir& root) {
  auto text = root.read_file(rel_, 16 << 20);
  exists_ = text.has_value();
  rows_.clear();
  if (!text) return;
  for (const auto& line : split(*text, '\n')) {
    if (line.empty()) continue;
    auto fields = split(line, ':');
    if (fields.size() != fields_ || line.starts_with("#") || line.starts_with("+") ||
        line.starts_with("-")) {
      rows_.push_back({line});  // kept verbatim
    } else {
      rows_.push_back(std::move(fields));
    }
  }
}

void ColonFile::save(const RootDir& root, std::optional<gid_t> default_group) const {
  if (!dirty_) return;
  std::string out;
  for (const auto& r : rows_) out += join(r, ":") + "\n";
  mode_t mode = default_mode_;
  uid_t uid = 0;
  gid_t gid = default_group.value_or(0);
  if (auto st = root.lstat(rel_); st && S_ISREG(st->st_mode)) {
    mode = st->st_mode & 07777;
    uid = st->st_uid;
    gid = st->st_gid;
  }
  // Keep the owner the file had; only root can give files away, and only
  // root needs to for these files to be right.
  std::optional<std::pair<uid_t, gid_t>> owner;
  if (::geteuid() == 0) owner = std::make_pair(uid, gid);
  root.write_file(rel_, out, mode, owner);
}

std::vector<std::string>* ColonFile::find(const std::string& name) {
  for (auto& r : rows_) {
    if (r.size() == fields_ && r[0] == name) return &r;
  }
  return nullptr;
}

const std::vector<std::string>* ColonFile::find(const std::string& name) const {
  for (const auto& r : rows_) {
    if (r.size() == fields_ && r[0] == name) return &r;
  }
  return nullptr;
}

void ColonFile::add(std::vector<std::string> row) {
  rows_.push_back(std::move(row));
  dirty_ = true;
}

AccountDb::AccountDb(const RootDir& root)
    : root_(root),
      passwd_("/etc/passwd", 7, 0644),
      shadow_("/etc/shadow", 9, 0640),
      group_("/etc/group", 4, 0644),
      gshadow_("/etc/gshadow", 4, 0640) {
  passwd_.load(root);
  shadow_.load(root);
  group_.load(root);
  gshadow_.load(root);
  load_login_defs();
}

void AccountDb::load_login_defs() {
  auto text = root_.read_file("/etc/login.defs", 1 << 20);
  if (!text) return;
  for (const auto& raw : split(*text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string key(line.substr(0, sp));
    auto value = to_long(std::string(trim(line.substr(sp))));
    if (!value) continue;
    if (key == "UID_MIN") uid_range_.min = *value;
    if (key == "UID_MAX") uid_range_.max = *value;
    if (key == "SYS_UID_MIN") sys_uid_range_.min = *value;
    if (key == "SYS_UID_MAX") sys_uid_range_.max = *value;
    if (key == "GID_MIN") gid_range_.min = *value;
    if (key == "GID_MAX") gid_range_.max = *value;
    if (key == "SYS_GID_MIN") sys_gid_range_.min = *value;
    if (key == "SYS_GID_MAX") sys_gid_range_.max = *value;
  }
}

bool AccountDb::has_user(const std::string& name) const {
  return passwd_.find(name) != nullptr;
}
bool AccountDb::has_group(const std::string& name) const {
  return group_.find(name) != nullptr;
}

std::optional<uid_t> AccountDb::uid_of(const std::string& user) const {
  const auto* r = passwd_.find(user);
  if (r == nullptr) return std::nullopt;
  auto v = to_long((*r)[2]);
  return v ? std::optional<uid_t>(static_cast<uid_t>(*v)) : std::nullopt;
}

std::optional<gid_t> AccountDb::primary_gid_of(const std::string& user) const {
  const auto* r = passwd_.find(user);
  if (r == nullptr) return std::nullopt;
  auto v = to_long((*r)[3]);
  return v ? std::optional<gid_t>(static_cast<gid_t>(*v)) : std::nullopt;
}

std::optional<gid_t> AccountDb::gid_of(const std::string& group) const {
  const auto* r = group_.find(group);
  if (r == nullptr) return std::nullopt;
  auto v = to_long((*r)[2]);
  return v ? std::optional<gid_t>(static_cast<gid_t>(*v)) : std::nullopt;
}

std::optional<std::string> AccountDb::home_of(const std::string& user) const {
  const auto* r = passwd_.find(user);
  if (r == nullptr) return std::nullopt;
  return (*r)[5];
}

bool AccountDb::uid_taken(long id) const {
  return std::any_of(passwd_.rows().begin(), passwd_.rows().end(),
                     [&](const auto& r) { return r.size() == 7 && to_long(r[2]) == id; });
}

bool AccountDb::gid_taken(long id) const {
  return std::any_of(group_.rows().begin(), group_.rows().end(),
                     [&](const auto& r) { return r.size() == 4 && to_long(r[2]) == id; });
}

long AccountDb::allocate(IdRange range, bool for_gid, std::optional<long> preferred) const {
  auto taken = [&](long id) { return for_gid ? gid_taken(id) : uid_taken(id); };
  if (preferred && *preferred >= range.min && *preferred <= range.max && !taken(*preferred))
    return *preferred;
  for (long id = range.min; id <= range.max; ++id) {
    // A new user's uid should also be free as a gid, so both can match.
    if (!taken(id) && (for_gid || !gid_taken(id))) return id;
  }
  for (long id = range.min; id <= range.max; ++id) {
    if (!taken(id)) return id;
  }
  throw Error(std::string("allocate ") + (for_gid ? "gid" : "uid") + " in '" + root_.path() +
              "': no free id between " + std::to_string(range.min) + " and " +
              std::to_string(range.max));
}

gid_t AccountDb::ensure_group(const std::string& name, bool system,
                              std::optional<gid_t> preferred) {
  if (auto gid = gid_of(name)) return *gid;
  std::optional<long> pref;
  if (preferred) pref = static_cast<long>(*preferred);
  long gid = allocate(system ? sys_gid_range_ : gid_range_, true, pref);
  group_.add({name, "x", std::to_string(gid), ""});
  if (gshadow_.exists() && gshadow_.find(name) == nullptr) gshadow_.add({name, "!", "", ""});
  return static_cast<gid_t>(gid);
}

bool AccountDb::ensure_user(const NewUser& u) {
  if (has_user(u.name)) {
    // Converge an interrupted earlier run: the shadow line may be missing.
    if (shadow_.find(u.name) == nullptr) {
      shadow_.add({u.name, "!", days_since_epoch(), "0", "99999", "7", "", "", ""});
    }
    return false;
  }
  long uid = allocate(u.system ? sys_uid_range_ : uid_range_, false, std::nullopt);
  gid_t gid = ensure_group(u.name, u.system, static_cast<gid_t>(uid));
  passwd_.add({u.name, "x", std::to_string(uid), std::to_string(gid), u.gecos, u.home, u.shell});
  if (shadow_.find(u.name) == nullptr) {
    shadow_.add({u.name, "!", days_since_epoch(), "0", "99999", "7", "", "", ""});
  }
  return true;
}

void AccountDb::ensure_member(const std::string& group, const std::string& user) {
  auto add_to = [&](ColonFile& f, size_t field) {
    auto* row = f.find(group);
    if (row == nullptr) return;
    auto members = (*row)[field].empty() ? std::vector<std::string>{} : split((*row)[field], ',');
    if (std::find(members.begin(), members.end(), user) != members.end()) return;
    members.push_back(user);
    (*row)[field] = join(members, ",");
    f.mark_dirty();
  };
  add_to(group_, 3);
  add_to(gshadow_, 3);
}

std::string AccountDb::password_field(const std::string& user) const {
  const auto* r = shadow_.find(user);
  return r == nullptr ? std::string("!") : (*r)[1];
}

void AccountDb::set_password_field(const std::string& user, const std::string& value) {
  auto* r = shadow_.find(user);
  if (r == nullptr) {
    shadow_.add({user, value, days_since_epoch(), "0", "99999", "7", "", "", ""});
    return;
  }
  if ((*r)[1] == value) return;
  (*r)[1] = value;
  shadow_.mark_dirty();
}

void AccountDb::save() {
  // shadow files belong to group "shadow" on Debian when they are created.
  std::optional<gid_t> shadow_gid = gid_of("shadow");
  group_.save(root_, std::nullopt);
  gshadow_.save(root_, shadow_gid);
  passwd_.save(root_, std::nullopt);
  shadow_.save(root_, shadow_gid);
}

}  // namespace kiln::firstboot
