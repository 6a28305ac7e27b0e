// kiln cluster up|status|down: a QEMU test cluster of RKE2 nodes booted from
// one image, on a private network of their own (docs/cluster.md).
#include <cstdio>
#include <cstdlib>

#include "builder/build_context.hpp"
#include "builder/cli_subcommands.hpp"
#include "builder/cluster_ops.hpp"
#include "builder/commands.hpp"
#include "builder/inputs.hpp"
#include "builder/qemu.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

void add_location_options(ArgParser& p) {
  p.option("name", 0, "NAME", "The cluster's name (default kiln)");
  p.option("dir", 0, "DIR", "The cluster's directory (default ./.kiln-cluster/NAME)");
}

ArgParser up_parser() {
  ArgParser p("kiln cluster up", "--image IMAGE [--servers N] [--agents M] [OPTIONS]",
              "Boot a test cluster from one image built by 'kiln build': N servers (the first\n"
              "starts the cluster) and M agents, each on a qcow2 overlay of the image with its\n"
              "own seed and console log, on a private network with no route out. Waits until\n"
              "every node has finished its first boot, then prints the status table.");
  p.option("image", 0, "IMAGE", "The disk image (raw or qcow2) every node boots");
  add_location_options(p);
  p.option("servers", 0, "N", "Server nodes (default 1)");
  p.option("agents", 0, "M", "Agent nodes (default 0)");
  p.option("node", 0, "NAME=USER-DATA",
           "An extra node booted with this user-data as it is (repeatable)", true);
  p.option("memory", 'm', "MIB", "Memory per node in MiB (default 2048)");
  p.option("cpus", 0, "N", "CPUs per node (default 2)");
  p.option("timeout", 't', "SECONDS", "How long to wait for the nodes (default 900)");
  p.flag("wait-ready", 0, "Also wait until every node's RKE2 role is ready");
  p.option("accel", 0, "auto|kvm|tcg", "Accelerator (default auto; also $KILN_QEMU_ACCEL)");
  p.flag("json", 0, "Print the status as JSON");
  p.epilog(
      "Exit codes: 0 every node finished its first boot (and is ready, with --wait-ready),\n"
      "9 a node's first boot failed or its data was invalid, 8 timed out, 7 a VM stopped,\n"
      "1 a cluster is already up in the directory (or another runtime failure),\n"
      "2 usage error, 4 missing image, user-data or firmware, 5 QEMU failed,\n"
      "130 interrupted (the cluster is taken down).");
  return p;
}

ArgParser status_parser() {
  ArgParser p("kiln cluster status", "[--name NAME | --dir DIR] [--json]",
              "Ask every node over its status channel and print a table: node, role, address,\n"
              "VM, first-boot result, role unit state and whether the role is ready.");
  add_location_options(p);
  p.flag("json", 0, "Print JSON instead of a table");
  p.epilog("Exit codes: 0 printed, 4 no cluster in the directory.");
  return p;
}

ArgParser down_parser() {
  ArgParser p("kiln cluster down", "[--name NAME | --dir DIR] [--timeout SECONDS]",
              "Power every node off cleanly (bounded, then stop the VM), and remove the\n"
              "overlays, seeds and token. Console logs stay in the cluster directory.");
  add_location_options(p);
  p.option("timeout", 't', "SECONDS", "How long the guests get to power off (default 60)");
  p.epilog("Exit codes: 0 down, 4 no cluster in the directory.");
  return p;
}

[[noreturn]] void usage(const std::string& command, const std::string& message) {
  throw Error(
      "kiln cluster " + command + ": " + message + " (see 'kiln cluster " + command + " --help')",
      kExitUsage);
}

std::string cluster_dir(const ParsedArgs& a, const std::string& command) {
  if (auto d = a.get("dir")) {
    if (a.has("name")) usage(command, "give --name or --dir, not both");
    return absolute_path(*d);
  }
  std::string name = a.get_or("name", "kiln");
  if (name.empty() || name.size() > 32 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    usage(command,
          "option '--name' expects lower-case letters, digits and '-', got '" + name + "'");
  }
  return default_cluster_dir(name);
}

// A cluster in --dir is named after the directory, in the characters a
// name may hold (it names the QEMU processes).
std::string name_from_dir(const std::string& dir) {
  std::string name;
  for (char c : basename_of(dir)) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-') name += l;
  }
  if (name.size() > 32) name.resize(32);
  return name.empty() ? "kiln" : name;
}

std::string choose_accel(const ParsedArgs& a) {
  std::string accel = requested_accelerator(a.get_or("accel", ""));
  if (!is_accelerator_name(accel)) {
    usage("up", "option '--accel' expects auto, kvm or tcg, got '" + accel + "'");
  }
  return choose_accelerator(accel);
}

void print_status(const Cluster& c, const std::vector<NodeStatus>& nodes, bool json) {
  if (json) {
    std::printf("%s\n", status_json(c, nodes).dump().c_str());
  } else {
    std::printf("cluster '%s' (%s), %s\n%s", c.name.c_str(), c.dir.c_str(), c.state.c_str(),
                status_table(nodes).c_str());
  }
  std::fflush(stdout);
}

int run_up(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser parser = up_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  UpOptions o;
  auto image = a.get("image");
  if (!image || image->empty()) usage("up", "missing option '--image' (a disk from 'kiln build')");
  o.image = absolute_path(*image);
  o.dir = cluster_dir(a, "up");
  o.name = a.has("dir") ? name_from_dir(o.dir) : a.get_or("name", "kiln");
  if (auto v = a.get_int("servers", 0, 50)) o.counts.servers = static_cast<unsigned>(*v);
  if (auto v = a.get_int("agents", 0, 150)) o.counts.agents = static_cast<unsigned>(*v);
  if (auto v = a.get_int("memory", 256, 1 << 20)) o.counts.memory_mib = static_cast<uint64_t>(*v);
  if (auto v = a.get_int("cpus", 1, 64)) o.counts.cpus = static_cast<unsigned>(*v);
  if (auto v = a.get_int("timeout", 1, 7 * 24 * 3600)) o.timeout = std::chrono::seconds(*v);
  o.wait_ready = a.has("wait-ready");
  for (const std::string& spec : a.all("node")) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      usage("up", "option '--node' expects NAME=USER-DATA-FILE, got '" + spec + "'");
    }
    o.counts.custom.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  o.accel = choose_accel(a);

  Cluster c;
  std::vector<NodeStatus> statuses = cluster_up(o, c);
  print_status(c, statuses, a.has("json") || g.json);
  for (const auto& s : statuses) {
    if (!firstboot_failed(s)) continue;
    throw Error("node '" + s.node + "': first boot " + s.firstboot +
                    (s.errors.empty() ? std::string() : ": " + s.errors.front()) +
                    " (the cluster is up; 'kiln cluster down --dir " + c.dir + "' stops it)",
                kExitNodeFailed);
  }
  return 0;
}

int run_status(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser parser = status_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  Cluster c = load_cluster(cluster_dir(a, "status"));
  print_status(c, cluster_status(c), a.has("json") || g.json);
  return 0;
}

int run_down(const std::vector<std::string>& args, const GlobalOptions& /*g*/) {
  ArgParser parser = down_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  const std::string dir = cluster_dir(a, "down");
  auto timeout = std::chrono::seconds(a.get_int("timeout", 1, 3600).value_or(60));
  Cluster c = load_cluster(dir);
  DownReport r = cluster_down(c, timeout);
  std::printf("cluster '%s' is down: %u powered off, %u stopped after %lld s, %u not running\n",
              c.name.c_str(), r.powered_off, r.killed, static_cast<long long>(timeout.count()),
              r.not_running);
  return 0;
}

constexpr Subcommand kSubs[] = {
    {"up", "Boot servers and agents from one image on a private network", run_up},
    {"status", "Show each node's first-boot result and role state", run_status},
    {"down", "Power the nodes off and remove their overlays", run_down},
};

int run_cluster(const std::vector<std::string>& args, const GlobalOptions& g) {
  return run_subcommand({"cluster", "QEMU test clusters of RKE2 nodes.", kSubs}, args, g);
}

}  // namespace

Command cluster_command() {
  return {"cluster", "QEMU test clusters: up, status, down", run_cluster};
}

}  // namespace kiln
