#include "firstboot/mime.hpp"

#include <algorithm>
#include <cctype>

#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Lines of `text` with their offsets; the line ending is not included.
struct Line {
  size_t begin;
  size_t end;   // end of content (before \r\n or \n)
  size_t next;  // start of the following line
};

std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    if (end > pos && text[end - 1] == '\r') --end;
    out.push_back({pos, end, next});
    pos = next;
  }
  return out;
}

}  // namespace

std::string MimeHeaders::get(const std::string& lower_name) const {
  auto it = values.find(lower_name);
  return it == values.end() ? std::string() : it->second;
}

std::string mime_type_of(const std::string& content_type) {
  return lower(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
}

std::optional<std::string> mime_param(const std::string& value, const std::string& name) {
  auto parts = split(value, ';');
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = trim(parts[i]);
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(p.substr(0, eq))) != name) continue;
    std::string_view v = trim(p.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return std::nullopt;
}

std::optional<MimeEntity> parse_mime_entity(std::string_view text, int first_line) {
  MimeEntity e;
  e.first_line = first_line;
  auto lines = lines_of(text);
  std::string last_name;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = text.substr(lines[i].begin, lines[i].end - lines[i].begin);
    if (l.empty()) {
      e.body = text.substr(lines[i].next);
      e.body_line = first_line + static_cast<int>(i) + 1;
      return e;
    }
    if ((l.front() == ' ' || l.front() == '\t') && !last_name.empty()) {
      e.headers.values[last_name] += " " + std::string(trim(l));  // folded header
      continue;
    }
    auto colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    last_name = lower(trim(l.substr(0, colon)));
    e.headers.values[last_name] = std::string(trim(l.substr(colon + 1)));
  }
  return std::nullopt;
}

std::optional<std::vector<MimeEntity>> split_multipart(const MimeEntity& whole,
                                                       const std::string& boundary,
                                                       std::string& error) {
  const std::string delim = "--" + boundary;
  std::string_view body = whole.body;
  auto lines = lines_of(body);
  std::vector<MimeEntity> parts;
  std::optional<size_t> part_start;  // line index of the current part's first line
  bool closed = false;
  auto finish_part = [&](size_t end_line) -> bool {
    if (!part_start) return true;
    size_t begin = lines[*part_start].begin;
    // The line break before a delimiter belongs to the delimiter.
    size_t end = end_line > *part_start ? lines[end_line - 1].end : begin;
    auto e = parse_mime_entity(body.substr(begin, end - begin),
                               whole.body_line + static_cast<int>(*part_start));
    if (!e) {
      error = "part " + std::to_string(parts.size() + 1) + " has no blank line after its headers";
      return false;
    }
    parts.push_back(*e);
    return true;
  };
  for (size_t i = 0; i < lines.size() && !closed; ++i) {
    std::string_view l = trim(body.substr(lines[i].begin, lines[i].end - lines[i].begin));
    if (l == delim || l == delim + "--") {
      if (!finish_part(i)) return std::nullopt;
      closed = l != delim;
      part_start = closed ? std::nullopt : std::optional<size_t>(i + 1);
    }
  }
  if (!closed) {
    error = "multipart body does not end with its closing boundary '" + delim + "--'";
    return std::nullopt;
  }
  if (parts.empty()) {
    error = "multipart body has no parts";
    return std::nullopt;
  }
  return parts;
}

}  // namespace kiln::firstboot
