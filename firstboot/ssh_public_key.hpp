// One line of an OpenSSH authorized_keys file, parsed as strictly as sshd
// reads it: [OPTIONS] TYPE BASE64 [COMMENT]. The type must be one OpenSSH
// knows (sk- and certificate types included), the base64 must decode, and
// the blob must hold a key of the named type. Shared by kiln-firstboot
// (cloud-config and meta-data keys) and `kiln seed --ssh-key`, so a key the
// node would refuse is refused before it is written anywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::firstboot {

struct SshPublicKey {
  std::string options;  // as written, empty when none
  std::string type;     // e.g. "ssh-ed25519"
  std::string base64;   // the key blob as written
  std::string comment;  // the rest of the line, trimmed
};

struct SshKeyParse {
  std::optional<SshPublicKey> key;  // set when the line is a valid key
  std::string error;                // why not; never quotes the key data
};

// `line` is one key without its line break; leading and trailing blanks are
// allowed.
SshKeyParse parse_ssh_public_key(std::string_view line);

}  // namespace kiln::firstboot
