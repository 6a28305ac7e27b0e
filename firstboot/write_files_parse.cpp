#include <algorithm>

#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/codec.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/names.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {
namespace {

const std::vector<std::string> kEncodings = {
    "text/plain", "b64", "base64", "gz", "gzip", "gz+b64", "gzip+b64", "gz+base64", "gzip+base64"};

void read_path(const YAML::Node& n, Diagnostics& d, const std::string& what, WriteFile& f) {
  auto p = read_line(n, d, what);
  if (!p) return;
  if (!p->starts_with("/")) {
    yaml_error(d, n, what + " must be an absolute path, got '" + *p + "'");
    return;
  }
  for (const auto& comp : split(*p, '/')) {
    if (comp == "..") {
      yaml_error(d, n, what + " must not contain '..', got '" + *p + "'");
      return;
    }
  }
  if (p->ends_with("/") || normalize_path(*p) == "/") {
    yaml_error(d, n, what + " must name a file, got '" + *p + "'");
    return;
  }
  f.path = normalize_path(*p);
}

void read_content(const YAML::Node& content, const YAML::Node& encoding, Diagnostics& d,
                  const std::string& what, WriteFile& f) {
  std::string enc = "text/plain";
  if (encoding.IsDefined()) {
    auto e = read_line(encoding, d, what + ".encoding");
    if (!e) return;
    if (std::find(kEncodings.begin(), kEncodings.end(), *e) == kEncodings.end()) {
      std::string hint = closest_match(*e, kEncodings);
      yaml_error(d, encoding,
                 what + ".encoding '" + *e +
                     "' is not one of b64, base64, gz, gzip, gz+b64, gzip+b64, "
                     "gz+base64, gzip+base64, text/plain" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      return;
    }
    enc = *e;
  }
  if (!content.IsDefined() || yaml_is_null(content)) return;  // an empty file
  if (!content.IsScalar()) {
    yaml_error(d, content, what + ".content must be a string, got " + yaml_kind(content));
    return;
  }
  // Content is a secret: errors say what is wrong, never what it holds.
  std::string data = content.Scalar();
  if (content.Tag() == "tag:yaml.org,2002:binary") {
    DecodeResult b = base64_decode(data);
    if (!b.data) {
      yaml_error(d, content, what + ".content is not valid !!binary base64: " + b.error);
      return;
    }
    data = std::move(*b.data);
  }
  const bool b64 = enc.find("b64") != std::string::npos || enc.find("base64") != std::string::npos;
  const bool gz = enc.starts_with("gz");
  if (b64) {
    DecodeResult b = base64_decode(data);
    if (!b.data) {
      yaml_error(d, content, what + ".content is not valid base64: " + b.error);
      return;
    }
    data = std::move(*b.data);
  }
  if (gz) {
    DecodeResult g = gunzip(data, kMaxWriteFileBytes);
    if (!g.data) {
      yaml_error(d, content,
                 what + ".content " + (g.too_large ? "" : "is not valid gzip: ") + g.error);
      return;
    }
    data = std::move(*g.data);
  }
  if (data.size() > kMaxWriteFileBytes) {
    yaml_error(
        d, content,
        what + ".content is larger than " + human_bytes(kMaxWriteFileBytes) + " (the limit)");
    return;
  }
  f.content = std::move(data);
}

void read_owner(const YAML::Node& n, Diagnostics& d, const std::string& what, WriteFile& f) {
  auto o = read_line(n, d, what);
  if (!o) return;
  auto colon = o->find(':');
  std::string user = o->substr(0, colon);
  std::string why = check_account_name(user);
  if (why.empty() && colon != std::string::npos) why = check_account_name(o->substr(colon + 1));
  if (!why.empty()) {
    yaml_error(d, n, what + " must be USER or USER:GROUP, got '" + *o + "'");
    return;
  }
  f.owner_user = user;
  if (colon != std::string::npos) f.owner_group = o->substr(colon + 1);
}

void read_permissions(const YAML::Node& n, Diagnostics& d, const std::string& what, WriteFile& f) {
  if (!n.IsScalar() || yaml_is_null(n)) {
    yaml_error(d, n, what + " must be an octal string such as '0644', got " + yaml_kind(n));
    return;
  }
  std::string s = n.Scalar();
  // An unquoted 644 is the decimal number 644 to YAML (and to cloud-init),
  // which is mode 01204: refuse the ambiguity instead of guessing.
  const bool plain = n.Tag() == "?";
  std::string digits = s.starts_with("0o") ? s.substr(2) : s;
  bool octal =
      !digits.empty() && digits.size() <= 5 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal) {
    yaml_error(d, n, what + " must be an octal string such as '0644', got '" + s + "'");
    return;
  }
  if (plain && !s.starts_with("0")) {
    yaml_error(d, n, what + " " + s + " is a decimal number to YAML; write it as '0" + s + "'");
    return;
  }
  unsigned long mode = std::stoul(digits, nullptr, 8);
  if (mode > 07777) {
    yaml_error(d, n, what + " must be at most 07777, got '" + s + "'");
    return;
  }
  f.mode = static_cast<mode_t>(mode);
}

}  // namespace

std::vector<WriteFile> parse_write_files(const YAML::Node& n, Diagnostics& d) {
  std::vector<WriteFile> out;
  if (!expect_sequence(n, d, "write_files")) return out;
  size_t total = 0;
  bool total_reported = false;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string what = "write_files[" + std::to_string(i) + "]";
    StrictMap m(n[i], d, what);
    if (!m.ok()) continue;
    WriteFile f;
    f.index = i;
    f.owner_at = {d.file(), yaml_line(n[i]), yaml_column(n[i])};
    const size_t errors_before = d.errors().size();
    read_path(m.require("path"), d, what + ".path", f);
    YAML::Node content = m.get("content");
    read_content(content, m.get("encoding"), d, what, f);
    if (YAML::Node o = m.get("owner"); o.IsDefined()) {
      f.owner_at = {d.file(), yaml_line(o), yaml_column(o)};
      read_owner(o, d, what + ".owner", f);
    }
    if (YAML::Node p = m.get("permissions"); p.IsDefined())
      read_permissions(p, d, what + ".permissions", f);
    f.append = read_flag(m.get("append"), d, what + ".append").value_or(false);
    f.defer = read_flag(m.get("defer"), d, what + ".defer").value_or(false);
    m.finish();
    if (d.errors().size() != errors_before) continue;
    total += f.content.size();
    if (total > kMaxWriteFilesTotalBytes && !total_reported) {
      yaml_error(d, content.IsDefined() ? content : n[i],
                 "write_files: all contents together are larger than " +
                     human_bytes(kMaxWriteFilesTotalBytes));
      total_reported = true;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace kiln::firstboot
