// kiln-firstboot validate: checks cloud-init data without applying it.
#include <cstdio>
#include <memory>

#include "firstboot/commands.hpp"
#include "firstboot/limits.hpp"
#include "firstboot/plan.hpp"
#include "firstboot/seed_data.hpp"
#include "firstboot/target_facts.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {
namespace {

ArgParser validate_parser() {
  ArgParser p("kiln-firstboot validate",
              "(--seed DIR | --user-data FILE [--meta-data FILE] [--network-config FILE])",
              "Check cloud-init data strictly without applying it: every error is printed as\n"
              "FILE:LINE:COL: message, and unsupported cloud-config keys as warnings.");
  p.option("seed", 0, "DIR", "A NoCloud seed directory (user-data, meta-data, network-config)");
  p.option("user-data", 0, "FILE", "A user-data file");
  p.option("meta-data", 0, "FILE", "A meta-data file");
  p.option("network-config", 0, "FILE", "A network-config file");
  p.option("root", 0, "DIR",
           "Also check against this image root: timezones, write_files owners, the rke2 profile\n"
           "for the image's RKE2 version");
  p.epilog("Exit codes: 0 valid, 2 invalid data (or usage error).");
  return p;
}

SeedFile read_named(const std::string& path, size_t limit) {
  try {
    return {path, read_file(path, limit)};
  } catch (Error& e) {
    e.set_exit_code(kExitInvalidData);
    throw;
  }
}

SeedData seed_from_args(const ParsedArgs& a, const ArgParser& parser, std::string& shown) {
  auto usage = [&](const std::string& msg) {
    throw Error(parser.program() + ": " + msg + " (see '" + parser.program() + " --help')",
                kExitUsage);
  };
  if (auto dir = a.get("seed")) {
    if (a.has("user-data") || a.has("meta-data") || a.has("network-config")) {
      usage("--seed cannot be combined with --user-data, --meta-data or --network-config");
    }
    shown = *dir;
    try {
      return read_seed_dir(*dir, *dir);
    } catch (Error& e) {
      e.set_exit_code(kExitInvalidData);
      throw;
    }
  }
  if (!a.has("user-data")) usage("give --seed DIR or --user-data FILE");
  SeedData seed;
  seed.source = "files";
  seed.user_data = read_named(*a.get("user-data"), kMaxUserDataBytes);
  shown = seed.user_data.name;
  if (auto m = a.get("meta-data")) seed.meta_data = read_named(*m, kMaxMetaDataBytes);
  if (auto n = a.get("network-config"))
    seed.network_config = read_named(*n, kMaxNetworkConfigBytes);
  return seed;
}

int run_validate(const std::vector<std::string>& args, const GlobalOptions& /*global*/) {
  ArgParser parser = validate_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  std::string shown;
  SeedData seed = seed_from_args(a, parser, shown);
  std::unique_ptr<RootDir> root;
  TargetFacts facts;
  if (auto r = a.get("root")) {
    root = std::make_unique<RootDir>(*r);
    facts = read_target_facts(*root);
  }
  Plan plan = build_plan(seed, facts);
  for (const auto& d : plan.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  auto errors = plan.errors();
  if (!errors.empty()) {
    std::fprintf(stderr, "kiln-firstboot validate: %zu error%s in %s\n", errors.size(),
                 errors.size() == 1 ? "" : "s", shown.c_str());
    return kExitInvalidData;
  }
  std::printf("%s: valid", shown.c_str());
  if (!plan.meta.instance_id.empty()) std::printf(" (instance %s)", plan.meta.instance_id.c_str());
  std::printf("\n");
  return kExitOk;
}

}  // namespace

Command validate_command() {
  return {"validate", "Check cloud-init data (a seed or single files) and report every error",
          run_validate};
}

}  // namespace kiln::firstboot
