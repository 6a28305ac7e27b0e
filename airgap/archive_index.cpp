#include "airgap/archive_index.hpp"

#include <vector>

#include "airgap/exit_codes.hpp"
#include "airgap/oci_json.hpp"
#include "airgap/tar_reader.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {
namespace {

constexpr size_t kMaxKeptJson = 64 << 20;
constexpr int kMaxLinkHops = 8;

bool looks_compressed(const char* p, size_t n) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
  if (n >= 2 && b(0) == 0x1f && b(1) == 0x8b) return true;                        // gzip
  return n >= 4 && b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd;  // zstd
}

bool looks_like_json(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = p[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// A link target relative to the member holding it; nullopt when it climbs
// out of the archive.
std::optional<std::string> resolve_link(const std::string& member, const std::string& target) {
  if (target.starts_with('/')) return std::nullopt;
  std::vector<std::string> parts = split(member, '/');
  parts.pop_back();
  for (const auto& p : split(target, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(p);
    }
  }
  return join(parts, "/");
}

}  // namespace

ArchiveIndex::ArchiveIndex(const std::string& path) : path_(path) {
  TarReader r(path_);
  size_t kept = 0;
  std::vector<char> buf(kChunkSize);
  while (auto m = r.next()) {
    if (m->type == TarMember::Type::Symlink || m->type == TarMember::Type::Hardlink) {
      auto target = m->type == TarMember::Type::Hardlink ? std::optional(m->link)
                                                         : resolve_link(m->name, m->link);
      if (!target) {
        throw Error("archive '" + path_ + "': member '" + m->name + "' links to '" + m->link +
                        "', outside the archive",
                    kExitVerification);
      }
      members_[m->name].link = *target;
      continue;
    }
    if (m->type != TarMember::Type::File) continue;
    ArchiveMember& info = members_[m->name];
    DigestingStream in(r.data());
    bool first = true;
    bool keep = m->size <= kMaxJsonBlob;
    std::string text;
    while (size_t n = in.read(buf.data(), buf.size())) {
      if (first) {
        info.compressed = looks_compressed(buf.data(), n);
        keep = keep && looks_like_json(buf.data(), n);
        first = false;
      }
      if (keep) text.append(buf.data(), n);
    }
    info.digest = in.digest();
    info.size = in.bytes();
    if (keep && !first) {
      kept += text.size();
      if (kept > kMaxKeptJson) {
        throw Error("archive '" + path_ + "': holds more than 64 MiB of JSON documents",
                    kExitInvalid);
      }
      info.json = std::move(text);
    }
  }
}

const ArchiveMember* ArchiveIndex::find(const std::string& name) const {
  std::string current = name;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    auto it = members_.find(current);
    if (it == members_.end()) return nullptr;
    if (it->second.link.empty()) return &it->second;
    current = it->second.link;
  }
  return nullptr;
}

std::string ArchiveIndex::canonical(const std::string& name) const {
  std::string current = name;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    auto it = members_.find(current);
    if (it == members_.end() || it->second.link.empty()) return current;
    current = it->second.link;
  }
  return current;
}

}  // namespace kiln::airgap
