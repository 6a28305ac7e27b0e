// Helpers for the kiln-firstboot tests: a small target root that looks like
// a kiln image (accounts, zoneinfo, image.json), seeds written on the fly,
// and snapshots of a tree to prove what a run did or did not change.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace kiln::test {

// The RKE2 release the fixture image claims (its profile is "cis" only).
constexpr const char* kFixtureRke2Version = "v1.30.5+rke2r1";

// Fills `dir` with /etc/passwd, group, shadow, gshadow, login.defs,
// /etc/skel, /etc/hosts, zoneinfo (Etc/UTC, Europe/Berlin) and
// /usr/lib/kiln/image.json. Returns `dir`.
std::string make_target_root(const std::string& dir);

// Puts a static busybox at ROOT/bin with sh, echo, touch, cat, test, true,
// false and printf, so commands can run chrooted in the root. Returns false
// when the host has no static busybox.
bool install_busybox(const std::string& root);

// Writes a NoCloud seed; a nullopt file is left out.
void write_seed(const std::string& dir, const std::optional<std::string>& user_data,
                const std::optional<std::string>& meta_data = std::string("instance-id: i-test\n"),
                const std::optional<std::string>& network_config = std::nullopt);

struct Entry {
  std::string kind;  // "file", "dir", "link"
  unsigned mode = 0;
  unsigned uid = 0;
  unsigned gid = 0;
  std::string content;  // file content or link target
  bool operator==(const Entry&) const = default;
};
// Every entry under `dir` (relative path -> what it is), symlinks not followed.
std::map<std::string, Entry> snapshot(const std::string& dir);

// The kiln-firstboot binary under test.
std::string firstboot_bin();

}  // namespace kiln::test
