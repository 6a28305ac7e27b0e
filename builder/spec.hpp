// The image spec: what `kiln build` reads. Parsing is strict (see
// spec_parse.cpp); every path here is already absolute, resolved against the
// spec file's directory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kiln::spec {

struct DebianBase {
  std::string suite;
  std::string mirror;
  std::string variant = "minbase";
  std::vector<std::string> components{"main"};
  std::vector<std::string> packages;
};

// A file input pinned by sha256: a local path or an http(s) URL.
struct PinnedSource {
  std::string location;  // absolute path, or URL
  bool is_url = false;
  std::string sha256;
};

struct TarballBase {
  PinnedSource source;
};

struct OciBase {
  PinnedSource source;
  std::string image;  // reference inside a multi-image archive; empty = the only one
};

using Base = std::variant<DebianBase, TarballBase, OciBase>;

// Owner as written: names or numbers, resolved against the image's
// /etc/passwd and /etc/group when applied.
struct Owner {
  std::string user;
  std::string group;
};

struct FileAttributes {
  std::string path;  // absolute path inside the image
  std::optional<Owner> owner;
  std::optional<mode_t> mode;
};

struct Overlay {
  std::string name;      // built-in name, or the basename of path
  bool builtin = false;  // resolved from kiln's overlays/ directory
  std::string path;      // absolute path of the directory or tarball
  std::optional<std::string> sha256;  // required for tarballs
  std::vector<FileAttributes> files;
};

struct Binary {
  std::string name;
  PinnedSource source;
  std::optional<std::string> member;  // path inside an archive to extract
  std::string dest;                   // absolute path inside the image
  mode_t mode = 0755;
};

struct Rke2 {
  std::string version;
  std::optional<std::string> artifacts;  // directory; may also come from --rke2-artifacts
  // Image tarballs by name: "all" (rke2-images), or "core" plus one CNI.
  std::vector<std::string> images{"core", "canal"};
  std::string prefix = "/usr/local";
  std::string arch = "amd64";
};

struct AirgapImage {
  // Exactly one of ref (a registry reference) or archive (a local file).
  std::optional<std::string> ref;
  std::optional<std::string> digest;  // pin for ref: "sha256:<hex>"
  std::optional<std::string> archive;
  std::optional<std::string> sha256;  // pin for archive
  int line = 0;                       // where it was declared, for messages
};

struct RegistryMirror {
  std::string registry;
  std::vector<std::string> endpoints;
  std::vector<std::pair<std::string, std::string>> rewrites;
};

struct RegistryConfig {
  std::string registry;
  std::optional<std::string> username;
  std::optional<std::string> password_file;  // read at build time; never stored in the spec
  std::optional<std::string> token_file;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  bool insecure_skip_verify = false;
};

struct Airgap {
  std::vector<AirgapImage> images;
  std::vector<RegistryMirror> mirrors;
  std::vector<RegistryConfig> configs;
  std::optional<std::string> system_default_registry;
};

struct Boot {
  std::string cmdline = "console=ttyS0";
};

// A size in bytes, or automatic (payload plus headroom).
struct Size {
  std::optional<uint64_t> bytes;
  [[nodiscard]] bool automatic() const { return !bytes.has_value(); }
};

struct Partitions {
  Size esp;
  Size root;
  Size state;
  // Extra space for automatic sizes: a percentage of the payload...
  std::optional<unsigned> headroom_percent;
  // ...or an absolute amount.
  std::optional<uint64_t> headroom_bytes;
};

enum class Output { Raw, Qcow2, Iso, Pxe, Vhd, Tar };
const char* to_string(Output o);

struct Firstboot {
  std::optional<std::string> seed;  // directory with user-data, meta-data[, network-config]
};

struct ImageSpec {
  std::string file;    // absolute path of the spec
  std::string dir;     // its directory
  std::string sha256;  // of the spec file's bytes
  std::string name;
  std::string version;
  Base base;
  std::vector<Overlay> overlays;
  std::vector<Binary> binaries;
  std::optional<Rke2> rke2;
  Airgap airgap;
  Boot boot;
  Partitions partitions;
  std::vector<Output> outputs{Output::Raw, Output::Qcow2};
  Firstboot firstboot;
};

}  // namespace kiln::spec
