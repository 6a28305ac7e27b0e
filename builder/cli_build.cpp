// kiln build [SPEC]: turns an image spec into disk images (see pipeline.hpp).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "builder/commands.hpp"
#include "builder/data_dir.hpp"
#include "builder/inputs.hpp"
#include "builder/pipeline.hpp"
#include "builder/rootless.hpp"
#include "builder/spec_parse.hpp"
#include "builder/staging.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

ArgParser build_parser() {
  ArgParser p("kiln build", "[SPEC] [OPTIONS]",
              "Build the disk images an image spec describes: base, overlays, pinned binaries,\n"
              "RKE2 and airgap images, hygiene, kiln-firstboot, then raw/qcow2 and manifest.json.\n"
              "Without SPEC, the embedded default spec (images/default.yaml) is built.\n"
              "Inputs resolve to sha256 values recorded in kiln.lock beside the spec.");
  p.positional("SPEC", "Image spec (YAML)", 0, 1);
  p.option("output", 'o', "DIR", "Where the outputs go (default: ./out)");
  p.option("cache-dir", 0, "DIR", "Cache (default: $KILN_CACHE_DIR, else ~/.cache/kiln)");
  p.flag("locked", 0, "Fail (exit 3) if any input differs from kiln.lock or is not in it");
  p.flag("offline", 0, "Never touch the network; inputs must be local or cached");
  p.option("rke2-artifacts", 0, "DIR",
           "RKE2 release artifact directory (overrides rke2.artifacts)");
  p.option("firstboot-binary", 0, "FILE", "kiln-firstboot to install (default: beside kiln)");
  p.option("lock", 0, "FILE", "Lock file (default: kiln.lock beside the spec)");
  p.flag("keep-work", 0, "Keep the work directory for debugging (stages on disk)");
  p.option("staging", 0, "MODE",
           "Where the staging tree lives: auto (in memory when it fits, the default), disk,\n"
           "memory, or memory:SIZE (in memory, at most SIZE)");
  p.epilog(
      "The cache defaults to $XDG_CACHE_HOME/kiln when that is set; $KILN_FIRSTBOOT_BINARY\n"
      "overrides the kiln-firstboot beside kiln; the embedded spec's lock file goes in the\n"
      "output directory. Run as a non-root user, the build re-executes itself in a user\n"
      "namespace with the user's subordinate ids (/etc/subuid, /etc/subgid).\n\n"
      "Exit codes: 0 built, 1 runtime failure, 2 usage or invalid spec/input,\n"
      "3 sha256 or lock mismatch, 4 missing input, 5 external tool failed,\n"
      "6 out of disk space, 130 interrupted. After a failure no partial output and no\n"
      "temp files remain.");
  return p;
}

std::string default_firstboot_binary() {
  if (const char* env = std::getenv("KILN_FIRSTBOOT_BINARY"); env != nullptr && *env != '\0') {
    return absolute_path(env);
  }
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw_errno("read link", "/proc/self/exe");
  return dirname_of(std::string(buf, static_cast<size_t>(n))) + "/kiln-firstboot";
}

// Syntax and values first (exit 2), then whether local inputs exist (exit 4),
// so a missing file is told apart from a broken spec.
spec::ImageSpec load_build_spec(const std::string& text, const std::string& name) {
  spec::ParseOptions opts;
  opts.overlays_dir = builtin_overlays_dir();
  opts.check_files = false;
  spec::ParseResult syntax = spec::parse_spec(text, name, opts);
  syntax.diagnostics.throw_if_errors(kExitInvalid);
  opts.check_files = true;
  spec::ParseResult full = spec::parse_spec(text, name, opts);
  // The file checks also find inputs of the wrong kind (a file where a
  // directory belongs, a tarball overlay without sha256): those are invalid.
  bool all_missing = true;
  for (const auto& e : full.diagnostics.errors()) {
    all_missing = all_missing && e.message.ends_with("does not exist");
  }
  full.diagnostics.throw_if_errors(all_missing ? kExitMissingInput : kExitInvalid);
  return std::move(*full.spec);
}

int run_build_command(const std::vector<std::string>& args, const GlobalOptions& global) {
  ArgParser parser = build_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  const bool embedded = a.positionals().empty();
  std::string text;
  std::string name;
  if (embedded) {
    text = embedded_default_spec();
    name = kEmbeddedSpecName;
  } else {
    name = a.positionals()[0];
    try {
      text = read_file(name, 4 << 20);
    } catch (Error& e) {
      e.set_exit_code(e.err() == ENOENT ? kExitMissingInput : kExitInvalid);
      throw;
    }
  }
  spec::ImageSpec spec = load_build_spec(text, name);

  BuildOptions o;
  o.output_dir = absolute_path(a.get_or("output", "out"));
  o.cache_dir = a.get("cache-dir") ? absolute_path(*a.get("cache-dir")) : default_cache_dir();
  o.locked = a.has("locked");
  o.offline = a.has("offline");
  o.keep_work = a.has("keep-work");
  o.staging = parse_staging(a.get_or("staging", "auto"));
  if (o.keep_work && o.staging.mode == StagingRequest::Mode::Memory) {
    throw Error("--keep-work keeps the staging tree, which needs it on disk: drop --staging " +
                    *a.get("staging"),
                kExitInvalid);
  }
  if (auto dir = a.get("rke2-artifacts")) {
    o.rke2_artifacts = absolute_path(*dir);
    if (!is_directory(*o.rke2_artifacts)) {
      throw Error("open '" + *dir + "': --rke2-artifacts needs an RKE2 release directory",
                  kExitMissingInput, ENOENT);
    }
  }
  o.firstboot_binary = a.get("firstboot-binary") ? absolute_path(*a.get("firstboot-binary"))
                                                 : default_firstboot_binary();
  if (!path_exists(o.firstboot_binary)) {
    throw Error("open '" + o.firstboot_binary +
                    "': no kiln-firstboot to install (build it, or pass --firstboot-binary)",
                kExitMissingInput, ENOENT);
  }
  o.lock_file = a.get("lock") ? absolute_path(*a.get("lock"))
                              : default_lock_path(spec, embedded, o.output_dir);
  o.rootless = in_rootless_namespace();

  if (!o.rootless && ::geteuid() != 0) return reexec_rootless();

  run_build(spec, o);
  if (global.json) {
    nlohmann::json j = {{"event", "build"},        {"status", "ok"},         {"name", spec.name},
                        {"version", spec.version}, {"output", o.output_dir}, {"lock", o.lock_file}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s %s: %s\n", spec.name.c_str(), spec.version.c_str(), o.output_dir.c_str());
  }
  return 0;
}

}  // namespace

Command build_command() {
  return {"build", "Build disk images from an image spec", run_build_command};
}

}  // namespace kiln
