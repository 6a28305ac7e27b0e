// A small reader for the MIME multipart messages cloud-init's user-data
// tools produce (write-mime-multipart, cloud-init devel make-mime): headers
// with folding, a boundary, and parts with their own headers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::firstboot {

struct MimeHeaders {
  std::map<std::string, std::string> values;  // lower-cased names
  [[nodiscard]] std::string get(const std::string& lower_name) const;
};

struct MimeEntity {
  MimeHeaders headers;
  std::string_view body;
  int first_line = 0;  // 1-based line of the entity's first header
  int body_line = 0;   // 1-based line where the body starts
};

// "text/cloud-config; charset=us-ascii" -> "text/cloud-config".
std::string mime_type_of(const std::string& content_type);
// A parameter of a header value: boundary="x", filename=y.
std::optional<std::string> mime_param(const std::string& value, const std::string& name);

// Parses headers and body of one entity starting at `text` (whose first line
// is line `first_line` of the file). Returns nullopt when there is no blank
// line ending the headers.
std::optional<MimeEntity> parse_mime_entity(std::string_view text, int first_line);
// Splits a multipart body into its parts. `error` explains a failure.
std::optional<std::vector<MimeEntity>> split_multipart(const MimeEntity& whole,
                                                       const std::string& boundary,
                                                       std::string& error);

}  // namespace kiln::firstboot
