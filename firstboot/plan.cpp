#include "firstboot/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "firstboot/account_db.hpp"
#include "firstboot/cloud_config_parse.hpp"
#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/names.hpp"
#include "firstboot/ssh_public_key.hpp"
#include "firstboot/user_data.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {
namespace {

void append(std::vector<Diagnostic>& out, const Diagnostics& d) {
  out.insert(out.end(), d.items().begin(), d.items().end());
}

void error_at(std::vector<Diagnostic>& out, const SourcePos& at, std::string message) {
  out.push_back({at.file, at.line, at.column, std::move(message), false});
}

// Top-level ssh_authorized_keys and meta-data public-keys belong to the
// default user, which exists when users lists "default", or when there is
// no users key at all and there are keys for it.
void attach_default_user_keys(Plan& p, const std::string& meta_name, std::vector<Diagnostic>& out) {
  CloudConfig& c = p.config;
  const auto& top = c.ssh_authorized_keys;
  const auto& meta = p.meta.public_keys;
  auto def =
      std::find_if(c.users.begin(), c.users.end(), [](const UserSpec& u) { return u.is_default; });
  if (!c.users_given) {
    if (top.empty() && meta.empty()) return;
    c.users.push_back(default_user());
    def = c.users.end() - 1;
  }
  if (def == c.users.end()) {
    if (!top.empty()) {
      error_at(out, c.ssh_authorized_keys_at,
               "ssh_authorized_keys (top level) are for the default user, but users does not list "
               "'default'; add it, or move the keys to a user");
    }
    if (!meta.empty()) {
      out.push_back({meta_name, 0, 0,
                     "meta-data public-keys are not installed: users does not list 'default'",
                     true});
    }
    return;
  }
  // NoCloud meta-data keys were checked as they were parsed; IMDS and
  // ConfigDrive hand theirs over as they came.
  for (size_t i = 0; i < meta.size(); ++i) {
    SshKeyParse parsed = parse_ssh_public_key(meta[i]);
    if (!parsed.key) {
      out.push_back({meta_name, 0, 0,
                     "public-keys[" + std::to_string(i) +
                         "] is not an OpenSSH public key ([OPTIONS] TYPE BASE64 [COMMENT]): it " +
                         parsed.error,
                     false});
    }
  }
  for (const auto* keys : {&top, &meta}) {
    for (const auto& k : *keys) {
      if (std::find(def->ssh_authorized_keys.begin(), def->ssh_authorized_keys.end(), k) ==
          def->ssh_authorized_keys.end()) {
        def->ssh_authorized_keys.push_back(k);
      }
    }
  }
}

// write_files owners must exist in the image or be created by users.
void check_owners(const Plan& p, const TargetFacts& facts, std::vector<Diagnostic>& out) {
  if (facts.root == nullptr || p.config.write_files.empty()) return;
  AccountDb db(*facts.root);
  std::set<std::string> users;
  std::set<std::string> groups;
  for (const auto& u : p.config.users) {
    users.insert(u.name);
    groups.insert(u.name);
    groups.insert(u.groups.begin(), u.groups.end());
  }
  for (const auto& f : p.config.write_files) {
    const std::string what = "write_files[" + std::to_string(f.index) + "].owner";
    if (!db.has_user(f.owner_user) && users.count(f.owner_user) == 0) {
      error_at(
          out, f.owner_at,
          what + ": user '" + f.owner_user + "' does not exist in the image and is not in users");
    }
    if (f.owner_group && !db.has_group(*f.owner_group) && groups.count(*f.owner_group) == 0) {
      error_at(out, f.owner_at,
               what + ": group '" + *f.owner_group +
                   "' does not exist in the image and is not created by users");
    }
  }
}

void sort_by_file_then_position(std::vector<Diagnostic>& v) {
  std::map<std::string, size_t> rank;
  for (const auto& d : v) rank.emplace(d.file, rank.size());
  std::stable_sort(v.begin(), v.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    if (rank[a.file] != rank[b.file]) return rank[a.file] < rank[b.file];
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace

bool Plan::valid() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return !d.warning; });
}

std::vector<Diagnostic> Plan::errors() const {
  std::vector<Diagnostic> out;
  std::copy_if(diagnostics.begin(), diagnostics.end(), std::back_inserter(out),
               [](const auto& d) { return !d.warning; });
  return out;
}

std::vector<Diagnostic> Plan::warnings() const {
  std::vector<Diagnostic> out;
  std::copy_if(diagnostics.begin(), diagnostics.end(), std::back_inserter(out),
               [](const auto& d) { return d.warning; });
  return out;
}

std::optional<std::string> Plan::fqdn() const {
  if (config.fqdn) return config.fqdn;
  if (config.hostname && config.hostname->find('.') != std::string::npos) return config.hostname;
  if (config.hostname) return std::nullopt;
  if (meta.local_hostname && meta.local_hostname->find('.') != std::string::npos)
    return meta.local_hostname;
  return std::nullopt;
}

std::optional<std::string> Plan::short_hostname() const {
  auto first_label = [](const std::string& s) { return s.substr(0, s.find('.')); };
  if (config.hostname) return first_label(*config.hostname);
  if (config.fqdn) return first_label(*config.fqdn);
  if (meta.local_hostname) return first_label(*meta.local_hostname);
  return std::nullopt;
}

SeedMeta read_seed_meta(const SeedData& seed) {
  SeedMeta m;
  if (seed.meta) {
    m.meta = seed.meta;
  } else if (seed.meta_data) {
    Diagnostics d(seed.meta_data->name);
    m.meta = parse_nocloud_meta_data(seed.meta_data->data, d);
    m.problems = d.items();
  }
  return m;
}

Plan build_plan(const SeedData& seed, const TargetFacts& facts) {
  return build_plan(seed, read_seed_meta(seed), facts);
}

Plan build_plan(const SeedData& seed, const SeedMeta& meta, const TargetFacts& facts) {
  Plan p;
  auto& out = p.diagnostics;
  out = seed.read_problems;
  if (meta.meta) p.meta = *meta.meta;
  out.insert(out.end(), meta.problems.begin(), meta.problems.end());
  if (seed.instance_id_override) {
    std::string why = check_instance_id(*seed.instance_id_override);
    if (why.empty()) {
      p.meta.instance_id = *seed.instance_id_override;
    } else {
      out.push_back({"kernel command line", 0, 0,
                     "i= instance-id '" + *seed.instance_id_override + "' " + why, false});
    }
  }
  if (seed.hostname_override) p.meta.local_hostname = seed.hostname_override;
  // Host names the sources parsed themselves (IMDS, ConfigDrive) or the
  // kernel command line gave were not checked by the YAML reader.
  if ((seed.meta || seed.hostname_override) && p.meta.local_hostname) {
    if (std::string why = check_hostname(*p.meta.local_hostname); !why.empty()) {
      out.push_back({seed.hostname_override ? "kernel command line" : seed.source + " meta-data", 0,
                     0, "local-hostname '" + *p.meta.local_hostname + "' " + why, false});
    }
  }

  Diagnostics ud(seed.user_data.name);
  auto parts = decode_user_data(seed.user_data.data, ud);
  append(out, ud);
  for (const auto& part : parts) {
    Diagnostics pd(part.name);
    if (auto root = parse_yaml(part.text, pd)) {
      merge_cloud_config(p.config, parse_cloud_config_document(*root, pd, facts));
    }
    append(out, pd);
  }
  if (seed.network_config) {
    Diagnostics nd(seed.network_config->name);
    p.network = parse_network_config(seed.network_config->data, nd);
    append(out, nd);
  }
  attach_default_user_keys(p, seed.meta_data ? seed.meta_data->name : seed.source + " meta-data",
                           out);
  check_owners(p, facts, out);
  sort_by_file_then_position(out);
  return p;
}

}  // namespace kiln::firstboot
