#include "firstboot/user_data.hpp"

#include <algorithm>
#include <cctype>

#include "firstboot/codec.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/mime.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

constexpr int kMaxMimeDepth = 3;

enum class Kind { Empty, CloudConfig, Mime, Other };

struct Sniffed {
  Kind kind;
  std::string description;  // for Other: what it is
};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// What cloud-init would make of a payload, judged by its first line.
Sniffed sniff(std::string_view text) {
  std::string_view t = text;
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);  // UTF-8 BOM
  if (trim(t).empty()) return {Kind::Empty, ""};
  std::string_view first = t.substr(0, t.find('\n'));
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  static const std::pair<const char*, const char*> kOthers[] = {
      {"#cloud-config-archive", "a cloud-config archive (#cloud-config-archive)"},
      {"#cloud-config-jsonp", "a JSON patch (#cloud-config-jsonp)"},
      {"#cloud-boothook", "a boothook (#cloud-boothook)"},
      {"#part-handler", "a part handler (#part-handler)"},
      {"#upstart-job", "an upstart job (#upstart-job)"},
      {"#include", "an include list (#include)"},
      {"## template:", "a template (## template:)"},
      {"#!", "a script (#!)"},
  };
  for (const auto& [prefix, what] : kOthers) {
    if (first.starts_with(prefix)) return {Kind::Other, what};
  }
  if (first.starts_with("#cloud-config")) return {Kind::CloudConfig, ""};
  if (starts_with_ci(first, "content-type:") || starts_with_ci(first, "mime-version:")) {
    return {Kind::Mime, ""};
  }
  return {Kind::Other, ""};
}

class Decoder {
 public:
  explicit Decoder(Diagnostics& d) : d_(d) {}

  void whole(std::string_view data) {
    Sniffed s = sniff(data);
    switch (s.kind) {
      case Kind::Empty:
        return;
      case Kind::CloudConfig:
        parts_.push_back({d_.file(), std::string(data)});
        return;
      case Kind::Mime:
        mime(data, 1, 0);
        return;
      case Kind::Other:
        if (s.description.empty()) {
          d_.error(1, 1,
                   "user-data must start with '#cloud-config' (or be MIME multipart or "
                   "gzip-compressed)");
        } else {
          d_.error(1, 1,
                   "user-data is " + s.description + "; kiln-firstboot applies only #cloud-config" +
                       (s.description.ends_with("(#!)") ? " (put commands in runcmd)" : ""));
        }
        return;
    }
  }

  std::vector<CloudConfigPart> take() { return std::move(parts_); }

 private:
  void mime(std::string_view text, int first_line, int depth) {
    auto entity = parse_mime_entity(text, first_line);
    if (!entity) {
      d_.error(first_line, 1, "MIME user-data has no blank line after its headers");
      return;
    }
    entity_(*entity, "", 0, depth);
  }

  // `label` names the entity in messages ("part 2 ('x.yaml')"), empty for the message itself.
  void entity_(const MimeEntity& e, const std::string& label, int part_no, int depth) {
    const std::string content_type = e.headers.get("content-type");
    const std::string type = content_type.empty() ? "text/plain" : mime_type_of(content_type);
    const std::string who = label.empty() ? "MIME user-data" : label;
    if (type.starts_with("multipart/")) {
      if (depth >= kMaxMimeDepth) {
        d_.error(e.first_line, 1,
                 who + " nests multipart messages deeper than " + std::to_string(kMaxMimeDepth));
        return;
      }
      auto boundary = mime_param(content_type, "boundary");
      if (!boundary || boundary->empty()) {
        d_.error(e.first_line, 1, who + " is " + type + " without a boundary");
        return;
      }
      std::string error;
      auto parts = split_multipart(e, *boundary, error);
      if (!parts) {
        d_.error(e.body_line, 1, who + ": " + error);
        return;
      }
      for (size_t i = 0; i < parts->size(); ++i) {
        const MimeEntity& p = (*parts)[i];
        std::string name =
            mime_param(p.headers.get("content-disposition"), "filename")
                .value_or(mime_param(p.headers.get("content-type"), "name").value_or(""));
        std::string sub = (label.empty() ? "" : label + ", ") + "part " + std::to_string(i + 1) +
                          (name.empty() ? "" : " ('" + name + "')");
        entity_(p, sub, static_cast<int>(i) + 1, depth + 1);
      }
      return;
    }
    // A leaf: decode the transfer encoding, then decompress, then sniff.
    std::string body(e.body);
    bool verbatim = true;
    std::string cte = mime_type_of(e.headers.get("content-transfer-encoding"));
    if (cte == "base64") {
      DecodeResult b = base64_decode(body);
      if (!b.data) {
        d_.error(e.body_line, 1, who + " is not valid base64: " + b.error);
        return;
      }
      body = std::move(*b.data);
      verbatim = false;
    } else if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary") {
      d_.error(e.first_line, 1,
               who + " uses Content-Transfer-Encoding " + cte +
                   "; only base64, 7bit and 8bit are supported");
      return;
    }
    if (looks_gzipped(body)) {
      DecodeResult g = gunzip(body, kMaxDecodedUserDataBytes);
      if (!g.data) {
        d_.error(e.body_line, 1, who + (g.too_large ? " " : " is not valid gzip: ") + g.error);
        return;
      }
      body = std::move(*g.data);
      verbatim = false;
    }
    Sniffed s = sniff(body);
    const bool cloud_config_type = type == "text/cloud-config";
    const bool sniffable = type == "text/plain" || type == "text/x-not-multipart" ||
                           type == "application/octet-stream" || type == "application/x-gzip" ||
                           type == "application/gzip";
    if (!cloud_config_type &&
        !(sniffable && (s.kind == Kind::CloudConfig || s.kind == Kind::Empty))) {
      std::string what = sniffable && !s.description.empty() ? s.description : type;
      d_.error(e.first_line, 1,
               who + " is " + what + "; kiln-firstboot applies only text/cloud-config parts");
      return;
    }
    if (s.kind == Kind::Empty) return;
    std::string name = verbatim ? d_.file() : d_.file() + "(part " + std::to_string(part_no) + ")";
    std::string text =
        verbatim ? std::string(static_cast<size_t>(e.body_line - 1), '\n') + body : body;
    parts_.push_back({name, std::move(text)});
  }

  Diagnostics& d_;
  std::vector<CloudConfigPart> parts_;
};

}  // namespace

std::vector<CloudConfigPart> decode_user_data(std::string_view raw, Diagnostics& d) {
  if (raw.size() > kMaxUserDataBytes) {
    d.error(0, 0, "is larger than " + human_bytes(kMaxUserDataBytes) + " (the limit)");
    return {};
  }
  std::string data(raw);
  if (looks_gzipped(raw)) {
    // Lines in messages then refer to the decompressed text.
    DecodeResult g = gunzip(raw, kMaxDecodedUserDataBytes);
    if (!g.data) {
      d.error(0, 0, g.too_large ? g.error : "is not valid gzip: " + g.error);
      return {};
    }
    data = std::move(*g.data);
  }
  Decoder decoder(d);
  decoder.whole(data);
  return decoder.take();
}

}  // namespace kiln::firstboot
