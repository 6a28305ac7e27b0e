// kiln validate [SPEC]: strict parse of an image spec, every error reported.
#include <cstdio>

#include "builder/commands.hpp"
#include "builder/data_dir.hpp"
#include "builder/spec_parse.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

ArgParser validate_parser() {
  ArgParser p("kiln validate", "[SPEC]",
              "Check an image spec strictly: unknown keys, wrong types, bad sha256 values,\n"
              "paths that escape the spec's directory, duplicate keys and missing inputs,\n"
              "and the seed firstboot.seed names, with kiln-firstboot's own validator.\n"
              "Every error is printed as SPEC:LINE:COL: message (a seed's as\n"
              "SEED/FILE:LINE:COL). Without SPEC, the embedded default spec is checked.");
  p.positional("SPEC", "Image spec (YAML)", 0, 1);
  p.flag("no-file-checks", 0, "Do not require local inputs to exist");
  p.epilog("Exit codes: 0 valid, 2 invalid (or usage error).");
  return p;
}

int run_validate(const std::vector<std::string>& args, const GlobalOptions& /*global*/) {
  ArgParser parser = validate_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  spec::ParseOptions opts;
  opts.overlays_dir = builtin_overlays_dir();
  opts.check_files = !a.has("no-file-checks");
  std::string text;
  std::string name;
  if (a.positionals().empty()) {
    text = embedded_default_spec();
    name = kEmbeddedSpecName;
  } else {
    name = a.positionals()[0];
    try {
      text = read_file(name, 4 << 20);
    } catch (Error& e) {
      e.set_exit_code(spec::kExitInvalidSpec);
      throw;
    }
  }
  spec::ParseResult r = spec::parse_spec(text, name, opts);
  for (const auto& w : r.diagnostics.warnings()) std::fprintf(stderr, "%s\n", w.str().c_str());
  auto errors = r.diagnostics.errors();
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.str().c_str());
  if (!errors.empty()) {
    std::fprintf(stderr, "kiln validate: %zu error%s in %s\n", errors.size(),
                 errors.size() == 1 ? "" : "s", name.c_str());
    return spec::kExitInvalidSpec;
  }
  std::printf("%s: valid (%s %s)\n", name.c_str(), r.spec->name.c_str(), r.spec->version.c_str());
  return 0;
}

}  // namespace

Command validate_command() {
  return {"validate", "Check an image spec and report every error", run_validate};
}

}  // namespace kiln
