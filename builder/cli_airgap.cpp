// kiln airgap verify|ls|pull|pack: the airgap library's operations on their
// own, outside a build.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "airgap/artifact_set.hpp"
#include "airgap/blob_store.hpp"
#include "airgap/image_source.hpp"
#include "airgap/oci_archive_writer.hpp"
#include "airgap/pack.hpp"
#include "airgap/puller.hpp"
#include "builder/cli_subcommands.hpp"
#include "builder/commands.hpp"
#include "builder/inputs.hpp"
#include "builder/spec_sections.hpp"
#include "util/args.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 success, 1 runtime or registry failure, 2 usage or unsupported input,\n"
    "3 verification failed (sha256, digest, truncated or malformed archive), 4 missing input.";

void out(const std::string& s) {
  std::fputs(s.c_str(), stdout);
}

bool help(const ArgParser& p, const ParsedArgs& a) {
  if (a.help_requested()) out(p.help());
  return a.help_requested();
}

// ---- verify -------------------------------------------------------------

int run_verify(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser p("kiln airgap verify", "DIR [--images SETS]",
              "Verify an RKE2 release artifact directory: rke2.linux-<arch>.tar.gz,\n"
              "sha256sum-<arch>.txt and the image tarballs (rke2-images.linux-<arch>.tar.zst, or\n"
              "rke2-images-core plus CNI tarballs), every present file against the checksum\n"
              "file, and every .tar.zst's zstd window against RKE2's 32 MiB limit.");
  p.positional("DIR", "The artifact directory");
  p.option("images", 0, "SETS",
           "Image sets the install needs, comma-separated: all, or core plus CNIs\n"
           "(canal, calico, cilium, flannel, multus, harvester, vsphere, traefik)");
  p.option("arch", 0, "ARCH", "Release architecture: amd64 (the default, and the only one)");
  p.epilog(kExitCodes);
  ParsedArgs a = p.parse(args);
  if (help(p, a)) return 0;
  // What the spec validator refuses is a usage error here too (exit 2),
  // not a file that is "missing" (exit 4).
  auto usage = [&](const std::string& why) {
    throw Error(p.program() + ": " + why + " (see '" + p.program() + " --help')", kExitUsage);
  };
  std::vector<std::string> sets;
  if (auto s = a.get("images")) {
    sets = split(*s, ',');
    if (std::string why = spec::image_sets_problem(sets); !why.empty()) usage("--images: " + why);
  }
  const std::string arch = a.get_or("arch", "amd64");
  if (arch != "amd64") usage("--arch '" + abbreviate(arch) + "' is not supported (only amd64)");
  StepTimer timer("verify");
  airgap::ArtifactSet set = airgap::verify_artifact_set(
      a.positionals()[0], arch, sets,
      [&](uint64_t done, uint64_t total) { timer.progress(done, total); });
  timer.add_field("files", set.sha256.size());
  timer.finish();
  if (g.json) return 0;
  std::string s = set.dir + ": verified against " + set.checksums + "\n";
  for (const auto& [name, sha] : set.sha256) s += "  ok  " + name + "  sha256:" + sha + "\n";
  std::vector<std::string> images;
  for (const auto& [name, file] : set.images) images.push_back(name + " (" + file + ")");
  s += "  image sets: " + join(images, ", ") + "\n";
  if (!set.absent.empty()) s += "  listed, not downloaded: " + join(set.absent, ", ") + "\n";
  if (!set.unlisted.empty()) s += "  not listed, not used: " + join(set.unlisted, ", ") + "\n";
  out(s);
  return 0;
}

// ---- ls -----------------------------------------------------------------

int run_ls(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser p("kiln airgap ls", "ARCHIVE... [--json]",
              "List the images in docker-archives, oci-archives (plain, gzip or zstd) or OCI\n"
              "layout directories: name, linux/amd64 manifest digest and size. Every manifest\n"
              "and config is validated and every blob checked against its digest.");
  p.positional("ARCHIVE", "Image archive or OCI layout directory", 1, 1000);
  p.flag("json", 0, "Print JSON instead of a table");
  p.epilog(kExitCodes);
  ParsedArgs a = p.parse(args);
  if (help(p, a)) return 0;
  nlohmann::json doc = nlohmann::json::array();
  std::string table;
  for (const auto& path : a.positionals()) {
    auto source = airgap::open_image_source(path);
    // Archives hash every member on open; a layout's layers are read here.
    std::vector<airgap::Descriptor> layers;
    for (const auto& img : source->images()) {
      layers.insert(layers.end(), img.parsed.layers.begin(), img.parsed.layers.end());
    }
    if (source->format() == "oci-layout") {
      source->read_blobs(layers, [](const airgap::Descriptor&, airgap::InputStream& in) {
        airgap::pump(in, [](const char*, size_t) {});
      });
    }
    nlohmann::json images = nlohmann::json::array();
    for (const auto& img : source->images()) {
      nlohmann::json j = {{"names", img.names},
                          {"digest", img.manifest.digest},
                          {"platform", img.config.platform.str()},
                          {"size", img.size()},
                          {"layers", img.parsed.layers.size()}};
      if (img.top.digest != img.manifest.digest) j["index_digest"] = img.top.digest;
      images.push_back(j);
      std::string name =
          img.names.empty() ? "<unnamed> (" + img.label + ")" : join(img.names, ", ");
      table += name + "  " + img.manifest.digest + "  " + human_bytes(img.size()) + "\n";
    }
    doc.push_back({{"archive", path}, {"format", source->format()}, {"images", images}});
  }
  if (g.json) {
    out(doc.dump() + "\n");  // one JSON line, like every --json output
  } else if (a.has("json")) {
    out(doc.dump(2) + "\n");
  } else {
    out(table);
  }
  return 0;
}

// ---- pull ---------------------------------------------------------------

int run_pull(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser p(
      "kiln airgap pull", "REF... -o ARCHIVE",
      "Pull images from registries (OCI distribution API) into kiln's cache and write\n"
      "them, linux/amd64, as one oci-archive. REF may carry a tag and/or @sha256:...\n"
      "(a pin: the registry's answer must match it). Credentials come from --credentials\n"
      "or $REGISTRY_AUTH_FILE, a Docker config.json-style file:\n"
      "  {\"auths\": {\"registry.example.com\": {\"auth\": \"<base64 of user:password>\"}}}\n"
      "localhost and 127.0.0.1 registries are reached over plain http.");
  p.positional("REF", "Image reference", 1, 1000);
  p.option("output", 'o', "ARCHIVE", "Archive to write (.tar.zst or .tar)");
  p.option("credentials", 0, "FILE", "Registry credentials (config.json format)");
  p.option("cache-dir", 0, "DIR", "Cache directory (default: kiln's cache; blobs under airgap/)");
  p.option("plain-http", 0, "HOST", "Reach this registry over http, not https", true);
  p.option("timeout", 0, "SECONDS", "Give up on a stalled request after this long (default 30)");
  p.option("attempts", 0, "N", "Tries per request before giving up (default 4)");
  p.flag("offline", 0, "Use the cache only; every REF needs a digest");
  p.epilog(kExitCodes);
  ParsedArgs a = p.parse(args);
  if (help(p, a)) return 0;
  auto output = a.get("output");
  if (!output) throw Error("kiln airgap pull: missing --output ARCHIVE (see --help)", kExitUsage);
  (void)airgap::output_compression(*output);
  airgap::RegistryOptions o;
  std::string creds = a.get_or("credentials", "");
  if (creds.empty()) {
    if (const char* env = std::getenv("REGISTRY_AUTH_FILE")) creds = env;
  }
  if (!creds.empty()) o.credentials = airgap::Credentials::load(creds);
  for (const auto& h : a.all("plain-http")) o.plain_http.insert(h);
  o.timeout = std::chrono::seconds(a.get_int("timeout", 1, 3600).value_or(30));
  o.attempts = static_cast<int>(a.get_int("attempts", 1, 20).value_or(4));
  std::string cache = a.get("cache-dir") ? absolute_path(*a.get("cache-dir")) : default_cache_dir();
  airgap::BlobStore store(cache + "/airgap");
  std::unique_ptr<airgap::RegistryClient> client;
  if (!a.has("offline")) client = std::make_unique<airgap::RegistryClient>(o);

  StepTimer timer("pull");
  std::vector<std::pair<std::vector<std::string>, airgap::Descriptor>> tops;
  std::string report;
  uint64_t bytes = 0;
  for (const auto& ref : a.positionals()) {
    airgap::PulledImage img = with_context("while pulling '" + ref + "'", [&] {
      return airgap::pull_image(client.get(), store, {ref, std::nullopt}, [&](uint64_t n) {
        bytes += n;
        timer.progress(bytes, 0);
      });
    });
    tops.push_back({{img.name}, img.top});
    report += ref + "  " + img.top.digest + "\n";
    // As kiln.lock names it.
    timer.add_field("image:" + ref, img.top.digest);
  }
  auto source = airgap::open_blob_store_source(store.dir(), tops);
  airgap::PackResult r = airgap::pack_images({source.get()}, *output, {});
  timer.add_field("images", r.images.size());
  timer.add_field("archive", r.archive);
  timer.add_field("list", r.list);
  timer.add_field("output_bytes", r.output_bytes);
  timer.finish();
  // With --json, stdout carries the events only; the step event has it all.
  if (g.json) return 0;
  out(report + "wrote " + r.archive + " (" + human_bytes(r.output_bytes) + ") and " + r.list +
      "\n");
  return 0;
}

// ---- pack ---------------------------------------------------------------

int run_pack(const std::vector<std::string>& args, const GlobalOptions& g) {
  ArgParser p("kiln airgap pack", "INPUT... -o FILE.tar.zst",
              "Pack the images of docker-archives, oci-archives and OCI layouts into one\n"
              "oci-archive that containerd's `ctr images import` and RKE2's agent/images\n"
              "loader read, every shared blob stored once, zstd-compressed on all CPUs with a\n"
              "window of at most 2^25 (RKE2 rejects larger ones). The image list goes beside it\n"
              "(FILE.txt).");
  p.positional("INPUT", "Image archive or OCI layout directory", 1, 1000);
  p.option("output", 'o', "FILE", "Archive to write (.tar.zst, or .tar for no compression)");
  p.option("level", 0, "N",
           "zstd level, 1-" + std::to_string(airgap::kMaxZstdLevel) + " (default 3)");
  p.option("window-log", 0, "N", "zstd window log, at most 25 (default 23)");
  p.option("threads", 0, "N", "Compression threads (default: one per CPU)");
  p.flag("long", 0, "Long-distance matching within the window");
  p.epilog(kExitCodes);
  ParsedArgs a = p.parse(args);
  if (help(p, a)) return 0;
  auto output = a.get("output");
  if (!output) throw Error("kiln airgap pack: missing --output FILE (see --help)", kExitUsage);
  airgap::PackOptions o;
  o.zstd.level = static_cast<int>(a.get_int("level", 1, airgap::kMaxZstdLevel).value_or(3));
  o.zstd.window_log =
      static_cast<int>(a.get_int("window-log", 10, 31).value_or(airgap::ZstdOptions{}.window_log));
  o.zstd.workers = static_cast<int>(a.get_int("threads", 0, 256).value_or(0));
  o.zstd.long_distance = a.has("long");
  airgap::check_zstd_options(o.zstd);
  (void)airgap::output_compression(*output);
  for (const auto& in : a.positionals()) {
    if (absolute_path(in) == absolute_path(*output)) {
      throw Error("kiln airgap pack: '" + in + "' is both an input and the output", kExitUsage);
    }
  }
  StepTimer timer("pack");
  std::vector<std::unique_ptr<airgap::ImageSource>> sources;
  std::vector<airgap::ImageSource*> raw;
  for (const auto& in : a.positionals()) {
    sources.push_back(airgap::open_image_source(in));
    raw.push_back(sources.back().get());
  }
  o.progress = [&](uint64_t done, uint64_t total) { timer.progress(done, total); };
  airgap::PackResult r = airgap::pack_images(raw, *output, o);
  timer.add_field("images", r.images.size());
  timer.add_field("image_bytes", r.image_bytes);
  timer.add_field("stored_bytes", r.stored_bytes);
  timer.add_field("output_bytes", r.output_bytes);
  timer.add_field("archive", r.archive);
  timer.add_field("list", r.list);
  timer.finish();
  if (g.json) return 0;
  out("packed " + std::to_string(r.images.size()) + " images into " + r.archive + " (" +
      human_bytes(r.output_bytes) + ")\n  images " + human_bytes(r.image_bytes) + ", stored " +
      human_bytes(r.stored_bytes) + " (shared layers saved " +
      human_bytes(r.image_bytes - r.stored_bytes) + ")\n  image list: " + r.list + "\n");
  return 0;
}

constexpr Subcommand kSubs[] = {
    {"verify", "Verify an RKE2 release artifact directory", run_verify},
    {"ls", "List the images in archives or OCI layouts", run_ls},
    {"pull", "Pull images from registries into an archive", run_pull},
    {"pack", "Pack images into one archive RKE2 imports", run_pack},
};

int run_airgap(const std::vector<std::string>& args, const GlobalOptions& g) {
  return run_subcommand(
      {"airgap", "RKE2 artifact sets and container image archives for disconnected nodes.", kSubs},
      args, g);
}

}  // namespace

Command airgap_command() {
  return {"airgap", "RKE2 artifact sets and image archives: verify, ls, pull, pack", run_airgap};
}

}  // namespace kiln
