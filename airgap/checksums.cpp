#include "airgap/checksums.hpp"

#include <set>

#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

std::vector<ChecksumEntry> parse_checksums(std::string_view text, const std::string& file) {
  std::vector<ChecksumEntry> out;
  std::set<std::string> names;
  int lineno = 0;
  for (const auto& raw : split(text, '\n')) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      throw Error(file + ":" + std::to_string(lineno) + ": " + why, 3);
    };
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) fail("malformed checksum line (expected 'SHA256  NAME')");
    std::string hash(line.substr(0, sp));
    std::string_view rest = line.substr(sp + 1);
    // sha256sum writes "HASH  NAME" (text) or "HASH *NAME" (binary).
    if (rest.starts_with(' ') || rest.starts_with('*')) rest.remove_prefix(1);
    if (!is_sha256_hex(hash)) fail("malformed checksum '" + hash + "' (expected 64 hex digits)");
    std::string name(trim(rest));
    if (name.empty()) fail("checksum line has no file name");
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      fail("file name '" + name + "' must not contain a directory");
    }
    if (!names.insert(name).second) fail("'" + name + "' is listed twice");
    out.push_back({hash, name, lineno});
  }
  return out;
}

}  // namespace kiln::airgap
