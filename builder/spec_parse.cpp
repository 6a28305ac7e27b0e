// Top level of the image spec and the sections that shape the root file
// system: base, overlays, binaries.
#include "builder/spec_parse.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "builder/spec_sections.hpp"
#include "builder/spec_values.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::spec {
namespace {

bool valid_name(const std::string& s) {
  static const std::regex re("^[a-z0-9][a-z0-9._-]{0,62}$");
  return std::regex_match(s, re);
}

std::optional<Base> parse_debian(const YAML::Node& n, Diagnostics& d) {
  StrictMap m(n, d, "base.debian");
  if (!m.ok()) return std::nullopt;
  DebianBase b;
  bool ok = true;
  auto suite = read_string(m.require("suite"), d, "base.debian.suite");
  auto mirror = read_string(m.require("mirror"), d, "base.debian.mirror");
  auto packages = read_string_list(m.get("packages"), d, "base.debian.packages");
  auto components = read_string_list(m.get("components"), d, "base.debian.components");
  auto variant_node = m.get("variant");
  auto variant = read_string(variant_node, d, "base.debian.variant");
  if (!suite || !mirror) ok = false;
  if (suite) b.suite = *suite;
  if (mirror) {
    if (!is_url(*mirror) && !mirror->starts_with("file://")) {
      yaml_error(d, m.get("mirror"), "base.debian.mirror must be an http(s) or file:// URL, got '" + *mirror + "'");
      ok = false;
    }
    b.mirror = *mirror;
  }
  if (packages) {
    static const std::regex pkg("^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$");
    for (size_t i = 0; i < packages->size(); ++i) {
      if (!std::regex_match((*packages)[i], pkg)) {
        yaml_error(d, m.get("packages")[i], "base.debian.packages: '" + (*packages)[i] + "' is not a valid Debian package name");
        ok = false;
      }
    }
    b.packages = *packages;
  }
  if (components) b.components = *components;
  if (variant) {
    static const std::vector<std::string> variants{"extract", "custom", "essential", "apt",
                                                   "required", "minbase", "buildd",
                                                   "important", "standard"};
    if (std::find(variants.begin(), variants.end(), *variant) == variants.end()) {
      yaml_error(d, variant_node, "base.debian.variant '" + *variant + "' is not an mmdebstrap variant (" + join(variants, ", ") + ")");
      ok = false;
    }
    b.variant = *variant;
  }
  if (!ok) return std::nullopt;
  return Base{b};
}

std::optional<Base> parse_base(const YAML::Node& n, Diagnostics& d, const InputContext& ctx) {
  StrictMap m(n, d, "base");
  if (!m.ok()) return std::nullopt;
  std::vector<std::string> present;
  for (const char* k : {"debian", "tarball", "oci"}) {
    if (m.has(k)) present.emplace_back(k);
  }
  if (present.size() != 1) {
    yaml_error(d, n,
               present.empty()
                   ? "base needs exactly one of 'debian', 'tarball' or 'oci'"
                   : "base has " + join(present, " and ") + "; choose exactly one");
  }
  std::optional<Base> out;
  if (m.has("debian")) out = parse_debian(m.get("debian"), d);
  if (m.has("tarball")) {
    StrictMap t(m.get("tarball"), d, "base.tarball");
    if (t.ok()) {
      auto src = read_source(t.require("path"), t.require("sha256"), d, "base.tarball.path", ctx);
      if (src) out = Base{TarballBase{*src}};
    }
  }
  if (m.has("oci")) {
    StrictMap o(m.get("oci"), d, "base.oci");
    if (o.ok()) {
      auto src = read_source(o.require("path"), o.require("sha256"), d, "base.oci.path", ctx);
      auto image = read_string(o.get("image"), d, "base.oci.image");
      if (src) out = Base{OciBase{*src, image.value_or("")}};
    }
  }
  if (present.size() != 1) return std::nullopt;
  return out;
}

std::vector<FileAttributes> parse_file_attributes(const YAML::Node& n, Diagnostics& d,
                                                  const std::string& what) {
  std::vector<FileAttributes> out;
  if (!n.IsDefined()) return out;
  if (!n.IsSequence()) {
    yaml_error(d, n, what + " must be a list, got " + yaml_kind(n));
    return out;
  }
  for (const auto& item : n) {
    StrictMap f(item, d, what + " entry");
    if (!f.ok()) continue;
    FileAttributes fa;
    auto path = read_image_path(f.require("path"), d, what + ".path");
    fa.owner = read_owner(f.get("owner"), d, what + ".owner");
    fa.mode = read_mode(f.get("mode"), d, what + ".mode");
    if (!f.has("owner") && !f.has("mode")) {
      yaml_error(d, item, what + " entry sets neither owner nor mode");
    }
    if (path) {
      fa.path = *path;
      out.push_back(fa);
    }
  }
  return out;
}

std::vector<Overlay> parse_overlays(const YAML::Node& n, Diagnostics& d, const InputContext& ctx,
                                    const std::string& overlays_dir) {
  std::vector<Overlay> out;
  if (!n.IsDefined()) return out;
  if (!n.IsSequence()) {
    yaml_error(d, n, "overlays must be a list, got " + yaml_kind(n));
    return out;
  }
  std::vector<std::string> builtins;
  if (is_directory(overlays_dir)) {
    for (const auto& e : list_dir(overlays_dir)) {
      // kiln-boot is laid into every image by the pipeline itself.
      if (e != kBootOverlayName && is_directory(overlays_dir + "/" + e)) builtins.push_back(e);
    }
  }
  std::set<std::string> seen;
  for (const auto& item : n) {
    Overlay o;
    YAML::Node name_node;
    if (item.IsScalar() && !yaml_is_null(item)) {
      name_node.reset(static_cast<const YAML::Node&>(item));
      o.builtin = true;
      o.name = item.Scalar();
    } else {
      StrictMap m(item, d, "overlay");
      if (!m.ok()) continue;
      bool has_builtin = m.has("builtin");
      bool has_path = m.has("path");
      m.allow("builtin");
      m.allow("path");
      if (has_builtin == has_path) {
        yaml_error(d, item, "an overlay needs exactly one of 'builtin' or 'path'");
        continue;
      }
      o.files = parse_file_attributes(m.get("files"), d, "overlay.files");
      if (has_builtin) {
        name_node.reset(m.get("builtin"));
        auto b = read_string(name_node, d, "overlay.builtin");
        if (!b) continue;
        o.builtin = true;
        o.name = *b;
      } else {
        auto p = read_input_path(m.get("path"), d, "overlay.path", ctx, InputKind::FileOrDirectory);
        auto sha = read_sha256(m.get("sha256"), d, "overlay.sha256");
        if (!p) continue;
        o.path = *p;
        o.name = basename_of(*p);
        o.sha256 = sha;
        if (ctx.check_files && !is_directory(*p) && !m.has("sha256")) {
          yaml_error(d, item, "overlay '" + o.name + "' is a tarball and needs a sha256");
          continue;
        }
      }
    }
    if (o.builtin) {
      if (o.name == kBootOverlayName) {
        yaml_error(d, name_node, "overlay '" + o.name + "' is applied to every image automatically; remove it from the spec");
        continue;
      }
      if (std::find(builtins.begin(), builtins.end(), o.name) == builtins.end()) {
        std::string hint = closest_match(o.name, builtins);
        yaml_error(d, name_node,
                   "unknown built-in overlay '" + o.name + "' (available: " + join(builtins, ", ") + ")" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
        continue;
      }
      o.path = overlays_dir + "/" + o.name;
    }
    std::string key = o.path;
    if (!seen.insert(key).second) {
      yaml_error(d, item, "overlay '" + o.name + "' is listed twice");
      continue;
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<Binary> parse_binaries(const YAML::Node& n, Diagnostics& d, const InputContext& ctx) {
  std::vector<Binary> out;
  if (!n.IsDefined()) return out;
  if (!n.IsSequence()) {
    yaml_error(d, n, "binaries must be a list, got " + yaml_kind(n));
    return out;
  }
  std::set<std::string> dests;
  std::set<std::string> names;
  for (const auto& item : n) {
    StrictMap m(item, d, "binary");
    if (!m.ok()) continue;
    Binary b;
    auto name = read_string(m.get("name"), d, "binary.name");
    auto src = read_source(m.require("src"), m.require("sha256"), d, "binary.src", ctx);
    auto member = read_string(m.get("member"), d, "binary.member");
    auto dest = read_image_path(m.require("dest"), d, "binary.dest");
    auto mode = read_mode(m.get("mode"), d, "binary.mode");
    if (!src || !dest) continue;
    if (member && (member->empty() || member->front() == '/' ||
                   normalize_path(*member).starts_with(".."))) {
      yaml_error(d, m.get("member"), "binary.member must be a relative path inside the archive, got '" + *member + "'");
      continue;
    }
    b.source = *src;
    b.dest = *dest;
    b.member = member;
    b.name = name.value_or(basename_of(*dest));
    if (mode) b.mode = *mode;
    if (!dests.insert(b.dest).second) {
      yaml_error(d, m.get("dest"), "binary.dest '" + b.dest + "' is used by another binary");
      continue;
    }
    if (!names.insert(b.name).second) {
      yaml_error(d, item, "binary name '" + b.name + "' is used twice");
      continue;
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

ParseResult parse_spec(std::string_view text, const std::string& display_path,
                       const ParseOptions& options) {
  ParseResult r{std::nullopt, Diagnostics(display_path)};
  Diagnostics& d = r.diagnostics;
  auto root = parse_yaml(text, d);
  if (!root) return r;
  if (!root->IsMap()) {
    d.error(yaml_line(*root) > 0 ? yaml_line(*root) : 1, yaml_column(*root) > 0 ? yaml_column(*root) : 1,
            "an image spec must be a mapping, got " + yaml_kind(*root));
    return r;
  }
  ImageSpec s;
  s.file = absolute_path(display_path);
  s.dir = dirname_of(s.file);
  s.sha256 = sha256_hex(text);
  InputContext ctx{s.dir, options.check_files, dirname_of(display_path)};

  StrictMap top(*root, d, "the spec");
  auto name = read_string(top.require("name"), d, "name");
  if (name && !valid_name(*name)) {
    yaml_error(d, top.get("name"), "name must be lowercase letters, digits, '.', '_' or '-' (at most 63), got '" + *name + "'");
  }
  auto version = read_string(top.require("version"), d, "version");
  if (version && (version->empty() || version->find_first_of(" \t/") != std::string::npos)) {
    yaml_error(d, top.get("version"), "version must be non-empty without spaces or '/', got '" + *version + "'");
  }
  auto base = parse_base(top.require("base"), d, ctx);
  s.overlays = parse_overlays(top.get("overlays"), d, ctx, options.overlays_dir);
  s.binaries = parse_binaries(top.get("binaries"), d, ctx);
  s.rke2 = parse_rke2(top.get("rke2"), d, ctx);
  s.airgap = parse_airgap(top.get("airgap"), d, ctx);
  s.boot = parse_boot(top.get("boot"), d);
  s.partitions = parse_partitions(top.get("partitions"), d);
  if (auto outputs = top.get("outputs"); outputs.IsDefined()) s.outputs = parse_outputs(outputs, d);
  s.firstboot = parse_firstboot(top.get("firstboot"), d, ctx, s.rke2);
  top.finish();

  if (d.has_errors() || !name || !version || !base) return r;
  s.name = *name;
  s.version = *version;
  s.base = *base;
  r.spec = std::move(s);
  return r;
}

ImageSpec load_spec(const std::string& path, const ParseOptions& options) {
  std::string text;
  try {
    text = read_file(path, 4 << 20);
  } catch (Error& e) {
    e.set_exit_code(kExitInvalidSpec);
    throw;
  }
  ParseResult r = parse_spec(text, path, options);
  r.diagnostics.throw_if_errors(kExitInvalidSpec);
  return std::move(*r.spec);
}

}  // namespace kiln::spec
