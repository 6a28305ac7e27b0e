// The strict OpenSSH public key parser, against keys ssh-keygen makes and
// against ssh-keygen's own verdict on the same lines.
#include "firstboot/ssh_public_key.hpp"

#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

// A made-up but well-formed ssh-ed25519 key (32 bytes of key data).
const std::string kEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIKeyA000000000000000000000000000000000000000";

std::string ssh_string(const std::string& s) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((s.size() >> (24 - 8 * i)) & 0xff);
  return out + s;
}

std::string base64(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += abc[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{abc[(v >> 18) & 63], abc[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{abc[(v >> 18) & 63], abc[(v >> 12) & 63], abc[(v >> 6) & 63], '='};
  }
  return out;
}

std::string error_of(const std::string& line) {
  SshKeyParse p = parse_ssh_public_key(line);
  CHECK_FALSE(p.key);
  return p.error;
}

// ssh-keygen's verdict on one authorized_keys line (it reads options too,
// but does not check their names: those cases are not compared).
bool ssh_keygen_accepts(const std::string& dir, const std::string& line) {
  test::write_text(dir + "/line.pub", line + "\n");
  auto r = test::run_cli({"ssh-keygen", "-l", "-f", dir + "/line.pub"});
  REQUIRE(r.err.find("No such file or directory") == std::string::npos);
  return r.exit_code == 0;
}

}  // namespace

TEST_CASE("keys of every type ssh-keygen makes parse, certificates and options included",
          "[unit]") {
  TempDir tmp;
  std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
      {"ssh-ed25519", {"-t", "ed25519"}},
      {"ecdsa-sha2-nistp256", {"-t", "ecdsa", "-b", "256"}},
      {"ecdsa-sha2-nistp384", {"-t", "ecdsa", "-b", "384"}},
      {"ecdsa-sha2-nistp521", {"-t", "ecdsa", "-b", "521"}},
      {"ssh-rsa", {"-t", "rsa", "-b", "1024"}},
  };
  for (const auto& [type, args] : kinds) {
    INFO(type);
    const std::string file = tmp.path() + "/" + type;
    std::vector<std::string> argv{"ssh-keygen", "-q", "-N", "", "-C", "op@kiln test", "-f", file};
    argv.insert(argv.end(), args.begin(), args.end());
    // A missing ssh-keygen fails here: the test needs it (openssh-client).
    REQUIRE(test::run_cli(argv).exit_code == 0);
    const std::string line(trim(read_file(file + ".pub")));
    SshKeyParse p = parse_ssh_public_key(line);
    INFO(p.error);
    REQUIRE(p.key);
    CHECK(p.key->type == type);
    CHECK(p.key->comment == "op@kiln test");
    CHECK(p.key->options.empty());
    // With options, as sshd allows them in authorized_keys.
    SshKeyParse o = parse_ssh_public_key(
        "restrict,command=\"echo \\\"hi there\\\"\",from=\"10.0.0.0/8\",NO-PTY " + line);
    REQUIRE(o.key);
    CHECK(o.key->options ==
          "restrict,command=\"echo \\\"hi there\\\"\",from=\"10.0.0.0/8\",NO-PTY");
    CHECK(o.key->type == type);
  }
  // A certificate, signed by a CA made here.
  REQUIRE(test::run_cli({"ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", tmp.path() + "/ca"})
              .exit_code == 0);
  REQUIRE(test::run_cli({"ssh-keygen", "-q", "-s", tmp.path() + "/ca", "-I", "op", "-n", "kiln",
                         tmp.path() + "/ssh-ed25519.pub"})
              .exit_code == 0);
  SshKeyParse cert =
      parse_ssh_public_key(std::string(trim(read_file(tmp.path() + "/ssh-ed25519-cert.pub"))));
  REQUIRE(cert.key);
  CHECK(cert.key->type == "ssh-ed25519-cert-v01@openssh.com");
}

TEST_CASE("security-key (sk-) keys parse when their blob holds the fields FIDO keys have",
          "[unit]") {
  const std::string pk(32, 'k');
  const std::string ed =
      ssh_string("sk-ssh-ed25519@openssh.com") + ssh_string(pk) + ssh_string("ssh:");
  SshKeyParse p = parse_ssh_public_key("sk-ssh-ed25519@openssh.com " + base64(ed) + " fido@kiln");
  REQUIRE(p.key);
  CHECK(p.key->type == "sk-ssh-ed25519@openssh.com");
  CHECK(p.key->comment == "fido@kiln");
  const std::string ec = ssh_string("sk-ecdsa-sha2-nistp256@openssh.com") + ssh_string("nistp256") +
                         ssh_string("\x04" + std::string(64, 'q')) + ssh_string("ssh:");
  CHECK(parse_ssh_public_key("sk-ecdsa-sha2-nistp256@openssh.com " + base64(ec)).key);
  // Without the application string it is not a complete sk- key.
  const std::string short_ed = ssh_string("sk-ssh-ed25519@openssh.com") + ssh_string(pk);
  CHECK(error_of("sk-ssh-ed25519@openssh.com " + base64(short_ed)) ==
        "has key data that is not a complete 'sk-ssh-ed25519@openssh.com' key");
  // An ECDSA blob must name the curve of its type.
  const std::string wrong_curve = ssh_string("ecdsa-sha2-nistp256") + ssh_string("nistp384") +
                                  ssh_string("\x04" + std::string(64, 'q'));
  CHECK(error_of("ecdsa-sha2-nistp256 " + base64(wrong_curve)) ==
        "has key data that is not a complete 'ecdsa-sha2-nistp256' key");
}

TEST_CASE("malformed keys are refused with the reason, never quoting the key data", "[unit]") {
  CHECK(error_of("not a key") == "has an unknown key type 'not'");
  CHECK(error_of("") == "is empty");
  CHECK(error_of("   ") == "is empty");
  CHECK(error_of("ssh-ed25519") == "has no key data after its type 'ssh-ed25519'");
  CHECK(error_of("ssh-ed25519 AAAA*C3 op@x") ==
        "has key data that is not base64 (invalid base64 character at offset 4)");
  CHECK(error_of("ssh-rsa " + kEd25519 + " op@x") ==
        "names type 'ssh-rsa' but its key data holds a 'ssh-ed25519' key");
  CHECK(error_of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyA op@x") ==
        "has key data that is not base64 (base64 length is not a multiple of 4 (29 symbols))");
  CHECK(error_of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey op@x") ==
        "has key data that is not a complete 'ssh-ed25519' key");
  CHECK(error_of("ssh-ed25519 " + base64("\xff\xff\xff\xffssh-ed25519")) ==
        "has key data that holds no key");
  CHECK(error_of("ssh-ed25519 " + base64(ssh_string("\x01\x02"))) ==
        "names type 'ssh-ed25519' but its key data holds no valid key type");
  CHECK(error_of("ssh-ed25519 " + kEd25519 + "\nssh-ed25519 " + kEd25519) ==
        "holds a line break or another control character (one key per line)");
  CHECK(error_of("no-such-option ssh-ed25519 " + kEd25519) ==
        "has an unknown option 'no-such-option'");
  CHECK(error_of("command=uptime ssh-ed25519 " + kEd25519) ==
        "has option 'command' without a double-quoted value");
  CHECK(error_of("command=\"uptime ssh-ed25519 " + kEd25519) ==
        "has option 'command' without a closing quote");
  CHECK(error_of("restrict;pty ssh-ed25519 " + kEd25519) == "has an unknown option 'restrict;pty'");
  CHECK(error_of("restrict,,pty ssh-ed25519 " + kEd25519) == "has an empty option");
  CHECK(error_of("restrict") == "has options but no key after them");
  CHECK(error_of("restrict ssh-foo " + kEd25519) == "has an unknown key type 'ssh-foo'");
  CHECK(error_of("x" + std::string(100, 'y') + " AAAA") ==
        "has an unknown key type 'x" + std::string(39, 'y') + "...'");
}

TEST_CASE("the parser and ssh-keygen agree on which lines are keys", "[unit]") {
  TempDir tmp;
  REQUIRE(test::run_cli({"ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", tmp.path() + "/k"})
              .exit_code == 0);
  const std::string real(trim(read_file(tmp.path() + "/k.pub")));
  const std::string data = split(real, ' ')[1];
  const std::vector<std::string> lines = {
      real,
      "ssh-ed25519 " + data,
      "  ssh-ed25519 " + data + "   spaced comment  ",
      "restrict,pty ssh-ed25519 " + data + " c",
      "command=\"a b\" ssh-ed25519 " + data,
      "ssh-ed25519 " + kEd25519,
      "not a key",
      "ssh-ed25519",
      "ssh-ed25519 " + data.substr(0, data.size() - 4),
      "ssh-rsa " + data,
      "ecdsa-sha2-nistp256 " + data,
      "ssh-ed25519 " + data + "AAAA",
      "ssh-ed25519 " + data.substr(1),
      "ssh-ed448 " + data,
  };
  for (const auto& line : lines) {
    INFO(line);
    bool ours = parse_ssh_public_key(line).key.has_value();
    CHECK(ours == ssh_keygen_accepts(tmp.path(), line));
  }
}
