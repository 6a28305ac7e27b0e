#include "builder/spec_sections.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "builder/outputs.hpp"
#include "firstboot/seed_check.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::spec {

const char* to_string(Output o) {
  switch (o) {
    case Output::Raw:
      return "raw";
    case Output::Qcow2:
      return "qcow2";
    case Output::Iso:
      return "iso";
    case Output::Pxe:
      return "pxe";
    case Output::Vhd:
      return "vhd";
    case Output::Tar:
      return "tar";
  }
  return "?";
}

const std::vector<std::string>& rke2_cni_image_sets() {
  static const std::vector<std::string> sets{"canal",  "calico",    "cilium",  "flannel",
                                             "multus", "harvester", "vsphere", "traefik"};
  return sets;
}

std::string unknown_image_set(const std::string& name) {
  const auto& cnis = rke2_cni_image_sets();
  if (name == "all" || name == "core" || std::find(cnis.begin(), cnis.end(), name) != cnis.end())
    return "";
  std::vector<std::string> all{"all", "core"};
  all.insert(all.end(), cnis.begin(), cnis.end());
  std::string hint = closest_match(name, all);
  return "unknown image set '" + abbreviate(name) + "' (known: " + join(all, ", ") + ")" +
         (hint.empty() ? "" : "; did you mean '" + hint + "'?");
}

std::string image_sets_problem(const std::vector<std::string>& sets) {
  if (sets.empty()) return "no image sets";
  std::set<std::string> seen;
  for (const auto& name : sets) {
    if (std::string why = unknown_image_set(name); !why.empty()) return why;
    if (!seen.insert(name).second) return "'" + name + "' is listed twice";
  }
  if (seen.count("all") != 0 && sets.size() > 1)
    return "'all' already holds every image; list it alone";
  if (seen.count("all") == 0 && seen.count("core") == 0)
    return "needs 'core' (plus a CNI) or 'all'";
  return "";
}

std::optional<Rke2> parse_rke2(const YAML::Node& n, Diagnostics& d, const InputContext& ctx) {
  if (!n.IsDefined()) return std::nullopt;
  StrictMap m(n, d, "rke2");
  if (!m.ok()) return std::nullopt;
  Rke2 r;
  auto version_node = m.require("version");
  auto version = read_string(version_node, d, "rke2.version");
  static const std::regex version_re(R"(^v\d+\.\d+\.\d+(-(alpha|beta|rc)\d+)?\+rke2r\d+$)");
  // The length bound also keeps std::regex's recursive matcher off a deep
  // stack (a 50 kB value overflowed it).
  if (version && (version->size() > 64 || !std::regex_match(*version, version_re))) {
    yaml_error(d, version_node,
               "rke2.version must look like v1.30.5+rke2r1, got '" + abbreviate(*version) + "'");
  }
  if (version) r.version = *version;
  r.artifacts = read_input_path(m.get("artifacts"), d, "rke2.artifacts", ctx, InputKind::Directory);
  auto images_node = m.get("images");
  if (auto images = read_string_list(images_node, d, "rke2.images")) {
    bool ok = !images->empty();
    if (images->empty()) yaml_error(d, images_node, "rke2.images must not be empty");
    std::set<std::string> seen;
    for (size_t i = 0; i < images->size(); ++i) {
      const std::string& name = (*images)[i];
      if (!seen.insert(name).second) {
        yaml_error(d, images_node[i], "rke2.images lists '" + name + "' twice");
        ok = false;
      } else if (std::string why = unknown_image_set(name); !why.empty()) {
        yaml_error(d, images_node[i], "rke2.images: " + why);
        ok = false;
      }
    }
    if (ok && seen.count("all") != 0 && images->size() > 1) {
      yaml_error(d, images_node, "rke2.images: 'all' already holds every image; list it alone");
      ok = false;
    }
    if (ok && seen.count("all") == 0 && seen.count("core") == 0) {
      yaml_error(d, images_node, "rke2.images needs 'core' (plus a CNI) or 'all'");
      ok = false;
    }
    if (ok) r.images = *images;
  }
  auto prefix_node = m.get("prefix");
  if (auto prefix = read_image_path(prefix_node, d, "rke2.prefix")) r.prefix = *prefix;
  auto arch_node = m.get("arch");
  if (auto arch = read_string(arch_node, d, "rke2.arch")) {
    if (*arch != "amd64") {
      yaml_error(d, arch_node, "rke2.arch '" + *arch + "' is not supported (only amd64)");
    }
    r.arch = *arch;
  }
  if (!version) return std::nullopt;
  return r;
}

namespace {

// Both bound the length before matching: the names cannot be longer, and
// std::regex's recursive matcher would overflow the stack on a long input.
bool valid_registry_host(const std::string& s) {
  // A DNS name (at most 253) and ":port".
  if (s.size() > 253 + 6) return false;
  static const std::regex re(R"(^(\*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?)$)");
  return std::regex_match(s, re);
}

bool valid_reference(const std::string& s) {
  // [registry/]path[:tag][@sha256:digest], the distribution reference grammar in short:
  // a name of at most 255 characters, a tag of at most 128 and a digest.
  if (s.size() > 255 + 129 + 72) return false;
  static const std::regex re(
      R"(^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$)");
  return std::regex_match(s, re);
}

void parse_airgap_images(const YAML::Node& n, Diagnostics& d, const InputContext& ctx, Airgap& a) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    yaml_error(d, n, "airgap.images must be a list, got " + yaml_kind(n));
    return;
  }
  std::set<std::string> seen;
  for (const auto& item : n) {
    AirgapImage img;
    img.line = yaml_line(item);
    StrictMap m(item, d, "airgap image");
    if (!m.ok()) continue;
    bool has_ref = m.has("ref");
    bool has_archive = m.has("archive");
    for (const char* k : {"ref", "digest", "archive", "sha256"}) m.allow(k);
    if (has_ref == has_archive) {
      yaml_error(d, item, "an airgap image needs exactly one of 'ref' or 'archive'");
      continue;
    }
    if (has_ref) {
      auto ref = read_string(m.get("ref"), d, "airgap image ref");
      if (ref && !valid_reference(*ref)) {
        yaml_error(d, m.get("ref"),
                   "airgap image ref '" + abbreviate(*ref) + "' is not a valid image reference");
        continue;
      }
      auto digest = read_sha256(m.get("digest"), d, "airgap image digest");
      if (!ref) continue;
      img.ref = *ref;
      if (digest) img.digest = "sha256:" + *digest;
    } else {
      const YAML::Node archive_node = m.get("archive");
      const YAML::Node sha_node = m.get("sha256");
      img.archive =
          read_input_path(archive_node, d, "airgap image archive", ctx, InputKind::FileOrDirectory);
      img.sha256 = read_sha256(sha_node, d, "airgap image sha256");
      if (!img.archive) continue;
      // Every input is pinned: an archive file by its sha256, an OCI layout
      // by the digests its blobs are checked against. Whether the path is a
      // file is known once it exists (always, unless --no-file-checks).
      if (path_exists(*img.archive)) {
        const std::string written = archive_node.Scalar();
        if (is_directory(*img.archive) && sha_node.IsDefined()) {
          yaml_error(d, sha_node,
                     "airgap image sha256 is not allowed for the OCI layout directory '" + written +
                         "' (its blobs are checked against their digests)");
          continue;
        }
        if (!is_directory(*img.archive) && !sha_node.IsDefined()) {
          yaml_error(d, item,
                     "airgap image archive '" + written + "' is a file and needs a sha256");
          continue;
        }
      }
    }
    std::string key = img.ref ? *img.ref : *img.archive;
    if (!seen.insert(key).second) {
      yaml_error(d, item, "airgap image '" + key + "' is listed twice");
      continue;
    }
    a.images.push_back(std::move(img));
  }
}

void parse_registries(const YAML::Node& n, Diagnostics& d, const InputContext& ctx, Airgap& a) {
  StrictMap m(n, d, "airgap.registries");
  if (!m.ok()) return;
  StrictMap mirrors(m.get("mirrors"), d, "airgap.registries.mirrors");
  for (const auto& [key, value] : mirrors.entries()) {
    mirrors.allow(key.Scalar());
    RegistryMirror mir;
    mir.registry = key.Scalar();
    if (!valid_registry_host(mir.registry)) {
      yaml_error(d, key, "registry '" + abbreviate(mir.registry) + "' is not a host[:port] or '*'");
      continue;
    }
    StrictMap mm(value, d, "mirror '" + mir.registry + "'");
    if (!mm.ok()) continue;
    auto endpoints = read_string_list(mm.get("endpoint"), d, "endpoint");
    if (endpoints) {
      for (size_t i = 0; i < endpoints->size(); ++i) {
        if (!is_url((*endpoints)[i])) {
          yaml_error(d, mm.get("endpoint")[i],
                     "endpoint '" + (*endpoints)[i] + "' must be an http(s) URL");
        }
      }
      mir.endpoints = *endpoints;
    }
    StrictMap rw(mm.get("rewrite"), d, "rewrite");
    for (const auto& [from, to] : rw.entries()) {
      rw.allow(from.Scalar());
      if (auto t = read_string(to, d, "rewrite target"))
        mir.rewrites.emplace_back(from.Scalar(), *t);
    }
    a.mirrors.push_back(std::move(mir));
  }
  StrictMap configs(m.get("configs"), d, "airgap.registries.configs");
  for (const auto& [key, value] : configs.entries()) {
    configs.allow(key.Scalar());
    RegistryConfig c;
    c.registry = key.Scalar();
    if (!valid_registry_host(c.registry)) {
      yaml_error(d, key, "registry '" + abbreviate(c.registry) + "' is not a host[:port] or '*'");
      continue;
    }
    std::string what = "config '" + c.registry + "'";
    StrictMap cm(value, d, what);
    if (!cm.ok()) continue;
    StrictMap auth(cm.get("auth"), d, what + " auth");
    if (auth.ok()) {
      for (const char* secret : {"password", "auth", "identitytoken"}) {
        if (auth.has(secret)) {
          auth.allow(secret);
          yaml_error(d, auth.get(secret),
                     std::string("secrets do not belong in a spec: use '") +
                         (std::string(secret) == "password" ? "password_file" : "token_file") +
                         "' instead of '" + secret + "'");
        }
      }
      c.username = read_string(auth.get("username"), d, "username");
      c.password_file =
          read_input_path(auth.get("password_file"), d, "password_file", ctx, InputKind::File);
      c.token_file = read_input_path(auth.get("token_file"), d, "token_file", ctx, InputKind::File);
      if (c.password_file && !c.username) {
        yaml_error(d, cm.get("auth"), what + " auth has password_file but no username");
      }
    }
    StrictMap tls(cm.get("tls"), d, what + " tls");
    if (tls.ok()) {
      c.ca_file = read_input_path(tls.get("ca_file"), d, "ca_file", ctx, InputKind::File);
      c.cert_file = read_input_path(tls.get("cert_file"), d, "cert_file", ctx, InputKind::File);
      c.key_file = read_input_path(tls.get("key_file"), d, "key_file", ctx, InputKind::File);
      c.insecure_skip_verify =
          read_bool(tls.get("insecure_skip_verify"), d, "insecure_skip_verify").value_or(false);
      if (c.cert_file.has_value() != c.key_file.has_value()) {
        yaml_error(d, cm.get("tls"), what + " tls needs both cert_file and key_file");
      }
    }
    a.configs.push_back(std::move(c));
  }
}

}  // namespace

Airgap parse_airgap(const YAML::Node& n, Diagnostics& d, const InputContext& ctx) {
  Airgap a;
  if (!n.IsDefined()) return a;
  StrictMap m(n, d, "airgap");
  if (!m.ok()) return a;
  parse_airgap_images(m.get("images"), d, ctx, a);
  if (m.has("registries")) parse_registries(m.get("registries"), d, ctx, a);
  auto sdr_node = m.get("system_default_registry");
  if (auto sdr = read_string(sdr_node, d, "airgap.system_default_registry")) {
    if (!valid_registry_host(*sdr) || *sdr == "*") {
      yaml_error(
          d, sdr_node,
          "airgap.system_default_registry must be host[:port], got '" + abbreviate(*sdr) + "'");
    } else {
      a.system_default_registry = *sdr;
    }
  }
  return a;
}

Boot parse_boot(const YAML::Node& n, Diagnostics& d) {
  Boot b;
  if (!n.IsDefined()) return b;
  StrictMap m(n, d, "boot");
  if (!m.ok()) return b;
  auto cmdline_node = m.get("cmdline");
  if (auto c = read_string(cmdline_node, d, "boot.cmdline")) {
    if (c->find_first_of("\n\r") != std::string::npos) {
      yaml_error(d, cmdline_node, "boot.cmdline must be a single line");
    } else if (c->size() > 2048) {
      yaml_error(d, cmdline_node, "boot.cmdline is longer than 2048 bytes");
    } else {
      b.cmdline = std::string(trim(*c));
    }
  }
  return b;
}

Partitions parse_partitions(const YAML::Node& n, Diagnostics& d) {
  Partitions p;
  if (!n.IsDefined()) return p;
  StrictMap m(n, d, "partitions");
  if (!m.ok()) return p;
  auto size_of = [&](const char* key) {
    Size s;
    YAML::Node v = m.get(key);
    if (!v.IsDefined()) return s;
    if (v.IsScalar() && v.Scalar() == "auto") return s;
    s.bytes = read_size(v, d, std::string("partitions.") + key);
    return s;
  };
  p.esp = size_of("esp");
  p.root = size_of("root");
  p.state = size_of("state");
  if (p.esp.bytes && *p.esp.bytes < (32ULL << 20)) {
    yaml_error(d, m.get("esp"), "partitions.esp must be at least 32M to hold a FAT32 ESP");
  }
  auto head = m.get("headroom");
  if (auto h = read_string(head, d, "partitions.headroom")) {
    if (!h->empty() && h->back() == '%') {
      auto pct = parse_size(h->substr(0, h->size() - 1));
      if (!pct || *pct > 1000) {
        yaml_error(
            d, head,
            "partitions.headroom must be a percentage up to 1000% or a size, got '" + *h + "'");
      } else {
        p.headroom_percent = static_cast<unsigned>(*pct);
      }
    } else {
      p.headroom_bytes = read_size(head, d, "partitions.headroom");
    }
  }
  return p;
}

std::vector<Output> parse_outputs(const YAML::Node& n, Diagnostics& d) {
  std::vector<Output> out;
  auto names = read_string_list(n, d, "outputs");
  if (!names) return out;
  if (names->empty()) yaml_error(d, n, "outputs must list at least one output");
  const std::vector<std::pair<std::string, Output>> known{
      {"raw", Output::Raw}, {"qcow2", Output::Qcow2}, {"iso", Output::Iso},
      {"pxe", Output::Pxe}, {"vhd", Output::Vhd},     {"tar", Output::Tar}};
  for (size_t i = 0; i < names->size(); ++i) {
    const std::string& s = (*names)[i];
    auto it = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == s; });
    if (it == known.end()) {
      std::vector<std::string> all;
      for (const auto& k : known) all.push_back(k.first);
      std::string hint = closest_match(s, all);
      yaml_error(d, n[i],
                 "unknown output '" + s + "' (known: " + join(all, ", ") + ")" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      continue;
    }
    if (std::find(out.begin(), out.end(), it->second) != out.end()) {
      yaml_error(d, n[i], "output '" + s + "' is listed twice");
      continue;
    }
    // Refused here rather than after a full build (the output step checks
    // again, for specs made in code).
    if (!output_implemented(it->second)) {
      std::vector<std::string> done;
      for (const auto& k : known) {
        if (output_implemented(k.second)) done.push_back(k.first);
      }
      yaml_error(d, n[i],
                 "output '" + s +
                     "' is not implemented in this kiln (implemented: " + join(done, ", ") + ")");
      continue;
    }
    out.push_back(it->second);
  }
  return out;
}

Firstboot parse_firstboot(const YAML::Node& n, Diagnostics& d, const InputContext& ctx,
                          const std::optional<Rke2>& rke2) {
  Firstboot f;
  if (!n.IsDefined()) return f;
  StrictMap m(n, d, "firstboot");
  if (!m.ok()) return f;
  const YAML::Node seed_node = m.get("seed");
  f.seed = read_input_path(seed_node, d, "firstboot.seed", ctx, InputKind::Directory);
  if (!f.seed || !ctx.check_files) return f;
  // A seed the node would refuse fails here, not after a full build.
  std::string written = seed_node.Scalar();
  while (written.size() > 1 && written.back() == '/') written.pop_back();
  const std::string display = path_join(ctx.display_dir, written);
  std::optional<std::string> rke2_version;
  if (rke2) rke2_version = rke2->version;
  try {
    auto check = firstboot::validate_seed_dir(*f.seed, display, "", rke2_version);
    for (auto& e : check.errors) d.add(std::move(e));
    for (auto& w : check.warnings) d.add(std::move(w));
  } catch (const Error& e) {
    yaml_error(d, seed_node, "firstboot.seed '" + written + "': " + e.message());
  }
  return f;
}

}  // namespace kiln::spec
