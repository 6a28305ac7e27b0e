// kiln-overlay.yaml: the optional manifest at an overlay's root (never
// copied into the image). It declares what a tree of files cannot say:
//
//   groups: [NAME, ...]                  system groups to add
//   users:                               system users to add
//     - name: etcd
//       group: etcd                      primary group, created if missing (default: name)
//       comment: etcd user
//       home: /nonexistent               default /nonexistent
//       shell: /usr/sbin/nologin         default /usr/sbin/nologin
//   files:                               attributes set once the overlay is laid in
//     - path: /etc/rancher/rke2
//       mode: "0700"
//       owner: root:root
//   cmdline: [fips=1]                    kernel arguments the image needs
//   requires:                            paths the finished image must have
//     - path: /usr/lib/x86_64-linux-gnu/ossl-modules/fips.so
//       message: why, and what to do about it
//
// Parsing is strict: unknown and duplicate keys, wrong types and bad values
// are reported as FILE:LINE:COL, all of them (exit 2).
#pragma once

#include <string>
#include <vector>

#include "builder/image_accounts.hpp"
#include "builder/spec.hpp"

namespace kiln {

struct OverlayRequirement {
  std::string path;
  std::string message;
};

struct OverlayManifest {
  std::vector<std::string> groups;
  std::vector<SystemUser> users;
  std::vector<spec::FileAttributes> files;
  std::vector<std::string> cmdline;
  std::vector<OverlayRequirement> requirements;
};

OverlayManifest parse_overlay_manifest(const std::string& text, const std::string& display_name);

}  // namespace kiln
