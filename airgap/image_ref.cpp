#include "airgap/image_ref.hpp"

#include <regex>

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "util/error.hpp"

namespace kiln::airgap {

std::string ImageRef::name() const {
  return domain + "/" + repository;
}

std::string ImageRef::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string ImageRef::image_name() const {
  return tag.empty() ? name() + "@" + digest : name() + ":" + tag;
}

std::string ImageRef::ref_name() const {
  return tag.empty() ? digest : tag;
}

std::string ImageRef::api_host() const {
  return domain == "docker.io" ? "registry-1.docker.io" : domain;
}

std::optional<ImageRef> try_parse_image_ref(std::string_view s) {
  // The distribution reference grammar, lower-case path components only.
  static const std::regex re(
      R"(^(([a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?)/)?)"
      R"(([a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*))"
      R"((:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@(sha256:[a-f0-9]{64}))?$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(s.begin(), s.end(), m, re)) return std::nullopt;
  ImageRef r;
  std::string first = m[2].str();
  std::string path = m[5].str();
  // A first component is a registry only when it looks like a host.
  if (!first.empty() && (first.find('.') != std::string::npos ||
                         first.find(':') != std::string::npos || first == "localhost")) {
    r.domain = first;
    r.repository = path;
  } else {
    if (!first.empty()) {
      // A first component with upper-case letters is not a valid path.
      for (char c : first) {
        if (c >= 'A' && c <= 'Z') return std::nullopt;
      }
      path = first + "/" + path;
    }
    r.domain = "docker.io";
    r.repository = path;
  }
  if (r.domain == "index.docker.io") r.domain = "docker.io";
  if (r.domain == "docker.io" && r.repository.find('/') == std::string::npos) {
    r.repository = "library/" + r.repository;
  }
  r.tag = m[12].str();
  r.digest = m[14].str();
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

ImageRef parse_image_ref(std::string_view s) {
  auto r = try_parse_image_ref(s);
  if (!r) throw Error("image reference '" + std::string(s) + "' is not valid", kExitInvalid);
  return *r;
}

}  // namespace kiln::airgap
