#include "builder/image_accounts.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "builder/build_context.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

std::optional<unsigned> parse_id(const std::string& s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

ImageAccounts::ImageAccounts(const RootDir& root) : root_(root) {
  load();
}

void ImageAccounts::load() {
  auto read_lines = [&](const char* file) {
    std::vector<Line> out;
    auto text = root_.read_file(file, 16 << 20);
    if (!text) return out;
    for (const auto& l : split(*text, '\n')) {
      if (l.empty() || l.front() == '#') continue;
      out.push_back(Line{split(l, ':')});
    }
    return out;
  };
  passwd_ = read_lines("/etc/passwd");
  group_ = read_lines("/etc/group");
}

std::optional<uid_t> ImageAccounts::uid_of(const std::string& user) const {
  for (const auto& l : passwd_) {
    if (l.fields.size() >= 4 && l.fields[0] == user) return parse_id(l.fields[2]);
  }
  return std::nullopt;
}

std::optional<gid_t> ImageAccounts::gid_of(const std::string& group) const {
  for (const auto& l : group_) {
    if (l.fields.size() >= 3 && l.fields[0] == group) return parse_id(l.fields[2]);
  }
  return std::nullopt;
}

std::optional<gid_t> ImageAccounts::primary_gid_of(uid_t uid) const {
  for (const auto& l : passwd_) {
    if (l.fields.size() >= 4 && parse_id(l.fields[2]) == uid) return parse_id(l.fields[3]);
  }
  return std::nullopt;
}

std::pair<uid_t, gid_t> ImageAccounts::resolve(const spec::Owner& owner,
                                               const std::string& where) const {
  uid_t uid = 0;
  if (auto n = parse_id(owner.user)) {
    uid = *n;
  } else if (auto u = uid_of(owner.user)) {
    uid = *u;
  } else {
    throw Error(where + ": no user '" + owner.user + "' in the image's /etc/passwd", kExitInvalid);
  }
  if (owner.group.empty()) {
    auto g = primary_gid_of(uid);
    if (!g) {
      throw Error(where + ": user '" + owner.user +
                      "' has no entry in the image's /etc/passwd to take a group from; write "
                      "USER:GROUP",
                  kExitInvalid);
    }
    return {uid, *g};
  }
  if (auto n = parse_id(owner.group)) return {uid, *n};
  if (auto g = gid_of(owner.group)) return {uid, *g};
  throw Error(where + ": no group '" + owner.group + "' in the image's /etc/group", kExitInvalid);
}

std::pair<unsigned, unsigned> ImageAccounts::system_range(const std::string& what) const {
  unsigned lo = 100;
  unsigned hi = 999;
  if (auto defs = root_.read_file("/etc/login.defs", 1 << 20)) {
    for (const auto& raw : split(*defs, '\n')) {
      std::string_view line = trim(raw);
      if (line.empty() || line.front() == '#') continue;
      auto words = split(std::string(line), ' ');
      words.erase(std::remove(words.begin(), words.end(), ""), words.end());
      if (words.size() < 2) continue;
      auto v = parse_id(std::string(trim(words[1])));
      if (!v) continue;
      if (words[0] == "SYS_" + what + "_MIN") lo = *v;
      if (words[0] == "SYS_" + what + "_MAX") hi = *v;
    }
  }
  return {lo, hi};
}

void ImageAccounts::append_line(const std::string& file, const std::string& line,
                                const std::string& where) {
  auto st = root_.lstat(file);
  auto text = root_.read_file(file, 16 << 20);
  if (!st || !text) {
    throw Error(where + ": the image has no " + file, kExitMissingInput);
  }
  std::string data = *text;
  if (!data.empty() && data.back() != '\n') data += '\n';
  data += line + "\n";
  root_.write_file(file, data, st->st_mode & 07777, std::pair{st->st_uid, st->st_gid});
}

bool ImageAccounts::add_group(const std::string& name, const std::string& where) {
  if (gid_of(name)) return false;
  auto [lo, hi] = system_range("GID");
  std::set<unsigned> used;
  for (const auto& l : group_) {
    if (l.fields.size() >= 3) {
      if (auto g = parse_id(l.fields[2])) used.insert(*g);
    }
  }
  std::optional<unsigned> gid;
  for (unsigned g = hi + 1; g-- > lo;) {
    if (used.count(g) == 0) {
      gid = g;
      break;
    }
  }
  if (!gid) throw Error(where + ": no free system group id for '" + name + "'", kExitRuntime);
  append_line("/etc/group", name + ":x:" + std::to_string(*gid) + ":", where);
  if (root_.exists("/etc/gshadow")) append_line("/etc/gshadow", name + ":!::", where);
  load();
  return true;
}

bool ImageAccounts::add_user(const SystemUser& user, const std::string& where) {
  if (uid_of(user.name)) return false;
  if (!root_.exists("/etc/passwd")) {
    throw Error(where + ": the image has no /etc/passwd to add user '" + user.name + "' to",
                kExitMissingInput);
  }
  auto [lo, hi] = system_range("UID");
  std::set<unsigned> used;
  for (const auto& l : passwd_) {
    if (l.fields.size() >= 3) {
      if (auto u = parse_id(l.fields[2])) used.insert(*u);
    }
  }
  std::optional<unsigned> uid;
  for (unsigned u = hi + 1; u-- > lo;) {
    if (used.count(u) == 0) {
      uid = u;
      break;
    }
  }
  if (!uid) throw Error(where + ": no free system user id for '" + user.name + "'", kExitRuntime);
  const std::string group = user.group.empty() ? user.name : user.group;
  if (!gid_of(group)) {
    // Like useradd --user-group: the group takes the user's id when free.
    bool free = std::none_of(group_.begin(), group_.end(), [&](const Line& l) {
      return l.fields.size() >= 3 && parse_id(l.fields[2]) == *uid;
    });
    if (free) {
      append_line("/etc/group", group + ":x:" + std::to_string(*uid) + ":", where);
      if (root_.exists("/etc/gshadow")) append_line("/etc/gshadow", group + ":!::", where);
      load();
    } else {
      add_group(group, where);
    }
  }
  gid_t gid = *gid_of(group);
  append_line("/etc/passwd",
              join({user.name, "x", std::to_string(*uid), std::to_string(gid), user.comment,
                    user.home, user.shell},
                   ":"),
              where);
  // Locked password, no aging: nobody logs in as a system user.
  if (root_.exists("/etc/shadow")) append_line("/etc/shadow", user.name + ":!:::::::", where);
  load();
  return true;
}

}  // namespace kiln
