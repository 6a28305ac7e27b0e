// sha256sum files ("HEX  NAME" per line), as RKE2 releases ship them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::airgap {

struct ChecksumEntry {
  std::string sha256;
  std::string name;
  int line = 0;
};

// Parses `text`; a malformed line is an error "FILE:LINE: message".
std::vector<ChecksumEntry> parse_checksums(std::string_view text, const std::string& file);

}  // namespace kiln::airgap
