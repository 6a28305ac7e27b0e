// Turns raw user-data into the #cloud-config documents it holds:
// gzip-compressed user-data is decompressed (bounded), MIME multipart is
// split into parts, and every part must be cloud-config. Anything else (a
// shell script, #include, a boothook, Jinja) is rejected with a message that
// names it; kiln-firstboot never skips user-data in silence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostics.hpp"

namespace kiln::firstboot {

struct CloudConfigPart {
  // The name diagnostics use: the user-data's own name when the part's
  // lines are the file's lines, else "NAME(part N)".
  std::string name;
  // YAML text. A part cut verbatim from the file is preceded by blank lines
  // so that YAML positions are the file's line numbers.
  std::string text;
};

// `d` is the diagnostics of the user-data file (its name is used).
std::vector<CloudConfigPart> decode_user_data(std::string_view raw, Diagnostics& d);

}  // namespace kiln::firstboot
