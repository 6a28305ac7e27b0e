#include "builder/manifest.hpp"

#include "util/fs.hpp"

namespace kiln {

// The manifest describes the image, never how this build got there (cache
// hits, timings): two builds of the same spec and lock must write the same
// manifest. How a build ran is in the --json event stream.
nlohmann::json build_manifest(const BuildContext& ctx) {
  const ImageArtifacts& img = ctx.image;
  nlohmann::json m;
  m["format"] = kManifestFormat;
  m["name"] = ctx.spec.name;
  m["version"] = ctx.spec.version;
  m["spec_sha256"] = ctx.spec.sha256;
  m["source_date_epoch"] = img.source_date_epoch;
  m["lock"] = nlohmann::json::object();
  for (const auto& [key, value] : ctx.resolved) m["lock"][key] = value;

  m["boot"] = {{"kernel_version", img.kernel_version},
               {"cmdline", img.cmdline},
               {"uki_path", "/EFI/BOOT/BOOTX64.EFI"},
               {"stub_sha256", img.stub_sha256}};

  nlohmann::json parts = nlohmann::json::array();
  for (const PartitionInfo& p : img.partitions) {
    parts.push_back({{"name", p.name},
                     {"type", p.type_guid},
                     {"uuid", p.uuid},
                     {"start", p.start},
                     {"size", p.size},
                     {"filesystem", p.filesystem},
                     {"filesystem_uuid", p.fs_uuid},
                     {"payload", p.payload}});
  }
  m["disk"] = {
      {"label", "gpt"}, {"guid", img.disk_guid}, {"size", img.disk_size}, {"partitions", parts}};

  m["outputs"] = nlohmann::json::object();
  for (const OutputFile& o : img.outputs) {
    m["outputs"][o.format] = {
        {"file", basename_of(o.path)}, {"sha256", o.sha256}, {"size", o.size}};
  }
  m["packages"] = nlohmann::json::object();
  for (const auto& [name, version] : ctx.report.packages) m["packages"][name] = version;
  m["hygiene"] = {{"removed", ctx.report.removed}};
  m["warnings"] = ctx.report.warnings;
  return m;
}

}  // namespace kiln
