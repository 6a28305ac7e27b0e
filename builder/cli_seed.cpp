// kiln seed -o SEED.img: a NoCloud seed image (label cidata, vfat or
// iso9660) from the user's user-data, meta-data and network-config, or with
// user-data generated for an RKE2 node (--role). Every seed is checked with
// kiln-firstboot's own validator before it is written; the image is 0600
// because it may hold a token.
#include <cstdio>

#include "builder/build_context.hpp"
#include "builder/commands.hpp"
#include "builder/reproducible.hpp"
#include "builder/seed_image.hpp"
#include "builder/seed_user_data.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace kiln {
namespace {

constexpr const char* kGeneratedUserData = "user-data generated from --role";

ArgParser seed_parser() {
  ArgParser p("kiln seed", "-o SEED.img (--user-data FILE | --role server|agent ...) [OPTIONS]",
              "Make a NoCloud seed image (volume label cidata) that kiln-firstboot and\n"
              "cloud-init read, as vfat or iso9660, usable wherever a cloud-localds seed is.\n"
              "Either bring user-data (--user-data), or let kiln generate it for an RKE2 node\n"
              "(--role with --token-file, and --cluster-init or --server). The seed is\n"
              "checked with kiln-firstboot's validator first; the image is written mode 0600.");
  p.option("output", 'o', "SEED.img", "Where to write the seed image (required)");
  p.option("format", 0, "vfat|iso9660", "File system of the seed (default vfat)");
  p.option("user-data", 0, "FILE", "The user-data to put on the seed");
  p.option("meta-data", 0, "FILE",
           "The meta-data (default: generated from --instance-id and --hostname)");
  p.option("network-config", 0, "FILE", "A network-config (version 1 or 2) to add");
  p.option("role", 0, "server|agent", "Generate user-data for an RKE2 node of this role");
  p.option("server", 0, "URL", "With --role: the server to join, e.g. https://10.0.0.10:9345");
  p.option("token-file", 0, "FILE", "With --role: a file holding the cluster's join token");
  p.flag("cluster-init", 0, "With --role server: this server starts a new cluster");
  p.option("ssh-key", 0, "FILE", "With --role: OpenSSH public key(s) for the default user", true);
  p.option("hostname", 0, "NAME",
           "local-hostname in the generated meta-data (and node-name with --role)");
  p.option("instance-id", 0, "ID",
           "instance-id in the generated meta-data (default: derived from the content)");
  p.flag("no-validate", 0, "Write the seed even when kiln-firstboot would reject it");
  p.epilog(
      "Exit codes: 0 written, 2 usage error or data kiln-firstboot rejects,\n"
      "4 a missing input file or output directory, 5 mkfs.vfat or mtools failed.");
  return p;
}

[[noreturn]] void usage(const std::string& message) {
  throw Error("kiln seed: " + message + " (see 'kiln seed --help')", kExitUsage);
}

std::string read_input(const std::string& path, const std::string& what) {
  auto data = read_file_if_exists(path, 4ULL << 20);
  if (!data) {
    throw Error("open " + what + " '" + path + "': No such file or directory", kExitMissingInput,
                ENOENT);
  }
  return *data;
}

// The rke2 node's user-data from --role and its companions.
std::string generated_user_data(const ParsedArgs& a) {
  const std::string role = *a.get("role");
  if (role != "server" && role != "agent") {
    usage("option '--role' expects server or agent, got '" + role + "'");
  }
  NodeSeed node;
  node.role = role;
  node.cluster_init = a.has("cluster-init");
  node.server = a.get("server");
  if (node.cluster_init && role != "server") usage("--cluster-init is only for --role server");
  if (node.cluster_init && node.server) {
    usage("--cluster-init starts a new cluster; it cannot be combined with --server");
  }
  if (!node.cluster_init && !node.server) {
    usage(role == "agent" ? "--role agent needs --server URL"
                          : "--role server needs --cluster-init (a new cluster) or --server URL "
                            "(join one)");
  }
  if (node.server && !node.server->starts_with("https://")) {
    usage("option '--server' expects an https:// URL, got '" + *node.server + "'");
  }
  auto token_file = a.get("token-file");
  if (!token_file) usage("--role needs --token-file FILE");
  node.token = read_token_file(*token_file);
  for (const auto& f : a.all("ssh-key")) {
    auto keys = read_ssh_public_keys(f);
    node.ssh_keys.insert(node.ssh_keys.end(), keys.begin(), keys.end());
  }
  node.node_name = a.get("hostname");
  return render_node_user_data(node);
}

int run_seed(const std::vector<std::string>& args, const GlobalOptions& /*global*/) {
  ArgParser parser = seed_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  auto output = a.get("output");
  if (!output || output->empty()) usage("missing option '--output' (-o SEED.img)");
  SeedFormat format = SeedFormat::Vfat;
  if (auto f = a.get("format")) {
    auto parsed = parse_seed_format(*f);
    if (!parsed) usage("option '--format' expects vfat or iso9660, got '" + *f + "'");
    format = *parsed;
  }
  const bool generate = a.has("role");
  if (generate == a.has("user-data")) {
    usage(generate ? "--user-data and --role cannot be combined: --role generates the user-data"
                   : "give --user-data FILE, or --role server|agent to generate it");
  }
  if (!generate) {
    for (const char* opt : {"server", "token-file", "cluster-init", "ssh-key"}) {
      if (a.has(opt)) usage("--" + std::string(opt) + " needs --role");
    }
  }
  if (a.has("meta-data") && (a.has("hostname") || a.has("instance-id"))) {
    usage("--meta-data cannot be combined with --hostname or --instance-id, which generate it");
  }

  SeedFiles files;
  SeedFileNames names;
  if (generate) {
    files.user_data = generated_user_data(a);
    names.user_data = kGeneratedUserData;
  } else {
    names.user_data = *a.get("user-data");
    files.user_data = read_input(names.user_data, "user-data");
  }
  if (auto nc = a.get("network-config")) {
    names.network_config = *nc;
    files.network_config = read_input(*nc, "network-config");
  }
  if (auto md = a.get("meta-data")) {
    names.meta_data = *md;
    files.meta_data = read_input(*md, "meta-data");
  } else {
    auto hostname = a.get("hostname");
    std::string id = a.get_or("instance-id",
                              derive_instance_id(files.user_data, hostname, files.network_config));
    files.meta_data = render_meta_data(id, hostname);
    names.meta_data = "meta-data generated from --instance-id and --hostname";
  }

  if (!a.has("no-validate")) {
    firstboot::SeedCheck check = check_seed_files(files, names);
    for (const auto& w : check.warnings) log_warning(w.str());
    throw_if_invalid(check);
  }
  write_seed_image(files, *output, format, source_date_epoch());
  std::printf("%s: %s seed, label %s\n", output->c_str(),
              format == SeedFormat::Vfat ? "vfat" : "iso9660", kSeedLabel);
  return 0;
}

}  // namespace

Command seed_command() {
  return {"seed", "Make a NoCloud seed image (cidata, vfat or iso9660)", run_seed};
}

}  // namespace kiln
