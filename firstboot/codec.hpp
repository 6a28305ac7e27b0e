// Decoders for user-data payloads: base64 and gzip, both strict and bounded,
// so a malformed or hostile payload becomes a one-line reason, never a crash
// or an unbounded allocation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::firstboot {

struct DecodeResult {
  std::optional<std::string> data;  // set on success
  std::string error;                // why it failed, without quoting the input
  bool too_large = false;           // gunzip: the output would pass the limit
};

// RFC 4648 base64; whitespace between groups is ignored, padding is checked.
DecodeResult base64_decode(std::string_view text);

bool looks_gzipped(std::string_view data);
// Decompresses one or more concatenated gzip members; fails when the result
// would exceed `max_bytes`.
DecodeResult gunzip(std::string_view data, size_t max_bytes);

}  // namespace kiln::firstboot
