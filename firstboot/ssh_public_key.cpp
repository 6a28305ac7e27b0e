#include "firstboot/ssh_public_key.hpp"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "firstboot/codec.hpp"

namespace kiln::firstboot {
namespace {

// What follows the type string in a key blob (RFC 4253, RFC 5656, RFC 8709,
// OpenSSH's PROTOCOL.u2f and PROTOCOL.certkeys); mpints are strings too.
enum class Body { Rsa, Dss, Ecdsa, Ed25519, SkEcdsa, SkEd25519, Certificate };

struct KeyType {
  std::string_view name;
  Body body;
  std::string_view curve;  // ECDSA: the curve name the blob repeats
};

constexpr std::array<KeyType, 16> kKeyTypes{{
    {"ssh-rsa", Body::Rsa, ""},
    {"ssh-dss", Body::Dss, ""},
    {"ecdsa-sha2-nistp256", Body::Ecdsa, "nistp256"},
    {"ecdsa-sha2-nistp384", Body::Ecdsa, "nistp384"},
    {"ecdsa-sha2-nistp521", Body::Ecdsa, "nistp521"},
    {"ssh-ed25519", Body::Ed25519, ""},
    {"sk-ecdsa-sha2-nistp256@openssh.com", Body::SkEcdsa, "nistp256"},
    {"sk-ssh-ed25519@openssh.com", Body::SkEd25519, ""},
    {"ssh-rsa-cert-v01@openssh.com", Body::Certificate, ""},
    {"ssh-dss-cert-v01@openssh.com", Body::Certificate, ""},
    {"ecdsa-sha2-nistp256-cert-v01@openssh.com", Body::Certificate, ""},
    {"ecdsa-sha2-nistp384-cert-v01@openssh.com", Body::Certificate, ""},
    {"ecdsa-sha2-nistp521-cert-v01@openssh.com", Body::Certificate, ""},
    {"ssh-ed25519-cert-v01@openssh.com", Body::Certificate, ""},
    {"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", Body::Certificate, ""},
    {"sk-ssh-ed25519-cert-v01@openssh.com", Body::Certificate, ""},
}};

const KeyType* find_type(std::string_view name) {
  auto it = std::find_if(kKeyTypes.begin(), kKeyTypes.end(),
                         [&](const KeyType& t) { return t.name == name; });
  return it == kKeyTypes.end() ? nullptr : &*it;
}

// sshd's authorized_keys options (auth-options.c): flags, some of which
// take a "no-" prefix, and options with a quoted value. Names are matched
// without regard to case, as sshd does.
bool known_option(std::string_view name, bool has_value) {
  static constexpr std::array<std::string_view, 2> kFlags{"restrict", "cert-authority"};
  static constexpr std::array<std::string_view, 7> kNegatable{"port-forwarding", "agent-forwarding",
                                                              "x11-forwarding",  "touch-required",
                                                              "verify-required", "pty",
                                                              "user-rc"};
  static constexpr std::array<std::string_view, 8> kValued{
      "command",     "principals", "from",         "expiry-time",
      "environment", "permitopen", "permitlisten", "tunnel"};
  auto is = [&](std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
  };
  auto any = [&](const auto& names, std::string_view n) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view k) { return is(n, k); });
  };
  if (has_value) return any(kValued, name);
  if (any(kFlags, name) || any(kNegatable, name)) return true;
  return name.size() > 3 && is(name.substr(0, 3), "no-") && any(kNegatable, name.substr(3));
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view next_word(std::string_view& s) {
  size_t end = 0;
  while (end < s.size() && !is_blank(s[end])) ++end;
  std::string_view word = s.substr(0, end);
  s.remove_prefix(end);
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return word;
}

// Shown in messages: a word of the line, bounded and printable.
std::string shown(std::string_view word) {
  std::string out(word.substr(0, 40));
  if (word.size() > 40) out += "...";
  return out;
}

// Consumes "opt,opt=\"value\",..." up to the first blank outside quotes.
// Returns an error, or "".
std::string parse_options(std::string_view& s, std::string& options) {
  size_t i = 0;
  while (true) {
    size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',' && !is_blank(s[i]) && s[i] != '"') ++i;
    std::string_view name = s.substr(name_start, i - name_start);
    bool has_value = i < s.size() && s[i] == '=';
    if (name.empty()) return "has an empty option";
    if (!known_option(name, has_value)) return "has an unknown option '" + shown(name) + "'";
    if (has_value) {
      ++i;
      if (i >= s.size() || s[i] != '"')
        return "has option '" + shown(name) + "' without a double-quoted value";
      ++i;
      bool closed = false;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') {
          ++i;
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        }
      }
      if (!closed) return "has option '" + shown(name) + "' without a closing quote";
    }
    if (i >= s.size() || is_blank(s[i])) break;
    if (s[i] != ',') return "has options that are not separated by ','";
    ++i;
  }
  options = std::string(s.substr(0, i));
  s.remove_prefix(i);
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return "";
}

// SSH wire format: uint32 length, then that many bytes.
bool read_string(std::string_view& blob, std::string_view& out) {
  if (blob.size() < 4) return false;
  uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(blob[0])) << 24) |
               (static_cast<uint32_t>(static_cast<unsigned char>(blob[1])) << 16) |
               (static_cast<uint32_t>(static_cast<unsigned char>(blob[2])) << 8) |
               static_cast<uint32_t>(static_cast<unsigned char>(blob[3]));
  if (blob.size() - 4 < n) return false;
  out = blob.substr(4, n);
  blob.remove_prefix(4 + n);
  return true;
}

// The fields after the type: every one present and non-empty, nothing
// after them (certificates: their nonce and a body, which sshd checks
// against the CA).
bool check_body(const KeyType& t, std::string_view blob) {
  std::string_view f;
  auto field = [&](size_t min_size = 1) { return read_string(blob, f) && f.size() >= min_size; };
  switch (t.body) {
    case Body::Rsa:
      if (!field() || !field()) return false;
      break;
    case Body::Dss:
      if (!field() || !field() || !field() || !field()) return false;
      break;
    case Body::Ecdsa:
    case Body::SkEcdsa:
      if (!read_string(blob, f) || f != t.curve || !field()) return false;
      if (t.body == Body::SkEcdsa && !field()) return false;
      break;
    case Body::Ed25519:
    case Body::SkEd25519:
      if (!read_string(blob, f) || f.size() != 32) return false;
      if (t.body == Body::SkEd25519 && !field()) return false;
      break;
    case Body::Certificate:
      return field() && !blob.empty();
  }
  return blob.empty();
}

}  // namespace

SshKeyParse parse_ssh_public_key(std::string_view line) {
  SshKeyParse r;
  while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
  if (line.empty()) {
    r.error = "is empty";
    return r;
  }
  if (std::any_of(line.begin(), line.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
      })) {
    r.error = "holds a line break or another control character (one key per line)";
    return r;
  }
  SshPublicKey key;
  std::string_view rest = line;
  std::string_view first = rest;
  std::string_view type_word = next_word(first);
  const KeyType* type = find_type(type_word);
  if (type != nullptr) {
    rest = first;
  } else {
    // sshd reads a line that does not start with a key type as options
    // followed by one. A bare word that looks like neither, before a word
    // that is no key type either, is most likely no key at all: say so.
    std::string_view after = first;
    bool looks_like_options = type_word.find_first_of("=,\"") != std::string_view::npos ||
                              known_option(type_word, false) ||
                              find_type(next_word(after)) != nullptr;
    if (!looks_like_options) {
      r.error = "has an unknown key type '" + shown(type_word) + "'";
      return r;
    }
    if (std::string why = parse_options(rest, key.options); !why.empty()) {
      r.error = why;
      return r;
    }
    type_word = next_word(rest);
    if (type_word.empty()) {
      r.error = "has options but no key after them";
      return r;
    }
    type = find_type(type_word);
    if (type == nullptr) {
      r.error = "has an unknown key type '" + shown(type_word) + "'";
      return r;
    }
  }
  key.type = std::string(type->name);
  std::string_view data = next_word(rest);
  if (data.empty()) {
    r.error = "has no key data after its type '" + key.type + "'";
    return r;
  }
  DecodeResult decoded = base64_decode(data);
  if (!decoded.data) {
    r.error = "has key data that is not base64 (" + decoded.error + ")";
    return r;
  }
  std::string_view blob = *decoded.data;
  std::string_view inner;
  if (!read_string(blob, inner) || inner.empty()) {
    r.error = "has key data that holds no key";
    return r;
  }
  if (inner != type->name) {
    bool printable =
        std::all_of(inner.begin(), inner.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    r.error = "names type '" + key.type + "' but its key data holds " +
              (printable ? "a '" + shown(inner) + "' key" : "no valid key type");
    return r;
  }
  if (!check_body(*type, blob)) {
    r.error = "has key data that is not a complete '" + key.type + "' key";
    return r;
  }
  key.base64 = std::string(data);
  key.comment = std::string(rest);
  r.key = std::move(key);
  return r;
}

}  // namespace kiln::firstboot
