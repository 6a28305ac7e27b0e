#include "builder/spec_values.hpp"

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <cmath>

#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::spec {

std::optional<uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) {
    ++i;
  }
  std::string number(text.substr(0, i));
  std::string unit(text.substr(i));
  if (number.empty() || number.front() == '.' || number.back() == '.') return std::nullopt;
  if (number.find('.') != number.rfind('.')) return std::nullopt;
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  uint64_t mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "K" || unit == "KiB") {
    mult = 1ULL << 10;
  } else if (unit == "M" || unit == "MiB") {
    mult = 1ULL << 20;
  } else if (unit == "G" || unit == "GiB") {
    mult = 1ULL << 30;
  } else if (unit == "T" || unit == "TiB") {
    mult = 1ULL << 40;
  } else {
    return std::nullopt;
  }
  if (number.find('.') != std::string::npos) {
    if (mult == 1) return std::nullopt;  // fractional bytes
    double v = std::stod(number) * static_cast<double>(mult);
    if (!(v < 1.8e19)) return std::nullopt;
    return static_cast<uint64_t>(std::llround(v));
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || p != number.data() + number.size()) return std::nullopt;
  if (v > UINT64_MAX / mult) return std::nullopt;
  return v * mult;
}

std::optional<mode_t> parse_mode(std::string_view text) {
  if (text.starts_with("0o")) text.remove_prefix(2);
  if (text.size() < 3 || text.size() > 5) return std::nullopt;
  mode_t m = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    m = m * 8 + static_cast<mode_t>(c - '0');
  }
  if (m > 07777) return std::nullopt;
  return m;
}

std::optional<uint64_t> read_size(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  auto v = parse_size(*s);
  if (!v || *v == 0) {
    yaml_error(d, n,
               std::string(what) + " must be a size such as 512M or 2G, got '" + *s + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<mode_t> read_mode(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  auto m = parse_mode(*s);
  if (!m) {
    yaml_error(d, n, std::string(what) + " must be an octal mode such as '0644', got '" + *s + "'");
  }
  return m;
}

namespace {
bool valid_account(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return s.front() != '-';
}
}  // namespace

std::optional<Owner> read_owner(const YAML::Node& n, Diagnostics& d, std::string_view what) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  size_t colon = s->find(':');
  Owner o;
  o.user = s->substr(0, colon);
  o.group = colon == std::string::npos ? o.user : s->substr(colon + 1);
  if (!valid_account(o.user) || !valid_account(o.group)) {
    yaml_error(d, n, std::string(what) + " must be USER[:GROUP] (names or numbers), got '" + *s + "'");
    return std::nullopt;
  }
  return o;
}

std::optional<std::string> read_sha256(const YAML::Node& n, Diagnostics& d,
                                       std::string_view what) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  std::string v = *s;
  if (v.starts_with("sha256:")) v.erase(0, 7);
  if (!is_sha256_hex(v)) {
    yaml_error(d, n, std::string(what) + " must be 64 lowercase hex digits, got '" + *s + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> read_image_path(const YAML::Node& n, Diagnostics& d,
                                           std::string_view what) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  if (s->empty() || s->front() != '/') {
    yaml_error(d, n, std::string(what) + " must be an absolute path inside the image, got '" + *s + "'");
    return std::nullopt;
  }
  for (const auto& part : split(*s, '/')) {
    if (part == "..") {
      yaml_error(d, n, std::string(what) + " must not contain '..', got '" + *s + "'");
      return std::nullopt;
    }
  }
  if (*s == "/") {
    yaml_error(d, n, std::string(what) + " must name a file, not '/'");
    return std::nullopt;
  }
  return normalize_path(*s);
}

bool is_url(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::optional<std::string> read_input_path(const YAML::Node& n, Diagnostics& d,
                                           std::string_view what, const InputContext& ctx,
                                           InputKind kind) {
  auto s = read_string(n, d, what);
  if (!s) return std::nullopt;
  if (s->empty()) {
    yaml_error(d, n, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  std::string resolved;
  if (s->front() == '/') {
    resolved = normalize_path(*s);
  } else {
    std::string rel = normalize_path(*s);
    if (rel == ".." || rel.starts_with("../")) {
      yaml_error(d, n, std::string(what) + " '" + *s + "' escapes the spec's directory");
      return std::nullopt;
    }
    resolved = path_join(ctx.spec_dir, rel);
  }
  if (ctx.check_files) {
    struct stat st {};
    if (::stat(resolved.c_str(), &st) != 0) {
      yaml_error(d, n, std::string(what) + " '" + *s + "' does not exist");
      return std::nullopt;
    }
    bool dir = S_ISDIR(st.st_mode);
    if (kind == InputKind::File && dir) {
      yaml_error(d, n, std::string(what) + " '" + *s + "' is a directory, expected a file");
      return std::nullopt;
    }
    if (kind == InputKind::Directory && !dir) {
      yaml_error(d, n, std::string(what) + " '" + *s + "' is not a directory");
      return std::nullopt;
    }
  }
  return resolved;
}

std::optional<PinnedSource> read_source(const YAML::Node& src, const YAML::Node& sha256,
                                        Diagnostics& d, std::string_view what,
                                        const InputContext& ctx) {
  std::optional<PinnedSource> out;
  std::string sha_what(what);
  for (const char* suffix : {".path", ".src"}) {
    if (sha_what.ends_with(suffix)) sha_what.resize(sha_what.size() - std::string_view(suffix).size());
  }
  auto hash = read_sha256(sha256, d, sha_what + ".sha256");
  if (!src.IsDefined()) return std::nullopt;
  auto s = read_string(src, d, what);
  if (!s) return std::nullopt;
  PinnedSource ps;
  if (is_url(*s)) {
    ps.is_url = true;
    ps.location = *s;
  } else if (s->find("://") != std::string::npos) {
    yaml_error(d, src, std::string(what) + " '" + *s + "' uses an unsupported URL scheme (use http, https or a local path)");
    return std::nullopt;
  } else {
    auto p = read_input_path(src, d, what, ctx, InputKind::File);
    if (!p) return std::nullopt;
    ps.location = *p;
  }
  if (!hash) return std::nullopt;
  ps.sha256 = *hash;
  return ps;
}

}  // namespace kiln::spec
