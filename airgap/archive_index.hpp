// The first pass over an image archive: every member hashed as it streams
// past (a tar can only be read front to back, and a docker-archive names its
// layers before the manifest that explains them), links recorded, and only
// small JSON documents kept in memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kiln::airgap {

struct ArchiveMember {
  std::string digest;  // "sha256:..." of the member's bytes
  uint64_t size = 0;
  bool compressed = false;          // starts like gzip or zstd
  std::optional<std::string> json;  // the content, when it is a small JSON document
  std::string link;                 // for links: the member they point at
};

class ArchiveIndex {
 public:
  // Reads the whole archive once. Throws on truncation, damage, names or
  // links that leave the archive, and more than 64 MiB of JSON.
  explicit ArchiveIndex(const std::string& path);

  // The regular member at `name`, following links; null when absent.
  [[nodiscard]] const ArchiveMember* find(const std::string& name) const;
  // The regular member's own name behind any links.
  [[nodiscard]] std::string canonical(const std::string& name) const;

 private:
  std::string path_;
  std::map<std::string, ArchiveMember> members_;
};

}  // namespace kiln::airgap
