#include "builder/outputs.hpp"

#include "builder/build_context.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace kiln {
namespace {

void run_tool(const std::vector<std::string>& argv, const std::string& what,
              const std::vector<std::string>& env = {}) {
  RunOptions o;
  o.env = env;
  try {
    run(argv, o);
  } catch (Error& e) {
    if (e.exit_code() != kExitInterrupted) e.set_exit_code(kExitToolFailed);
    e.add_context("while writing " + what);
    throw;
  }
}

}  // namespace

bool output_implemented(spec::Output o) {
  switch (o) {
    case spec::Output::Raw:
    case spec::Output::Qcow2:
    case spec::Output::Vhd:
    case spec::Output::Tar:
      return true;
    case spec::Output::Iso:
    case spec::Output::Pxe:
      return false;
  }
  return false;
}

void check_outputs_implemented(const spec::ImageSpec& spec) {
  std::vector<std::string> done;
  for (spec::Output o : {spec::Output::Raw, spec::Output::Qcow2, spec::Output::Vhd,
                         spec::Output::Tar, spec::Output::Iso, spec::Output::Pxe}) {
    if (output_implemented(o)) done.emplace_back(spec::to_string(o));
  }
  for (spec::Output o : spec.outputs) {
    if (output_implemented(o)) continue;
    throw Error("output '" + std::string(spec::to_string(o)) + "' in '" + spec.file +
                    "': not implemented in this kiln (implemented: " + join(done, ", ") + ")",
                kExitInvalid);
  }
}

std::string output_file_name(const spec::ImageSpec& spec, spec::Output o) {
  return spec.name + "." + spec::to_string(o);
}

void convert_disk(const std::string& raw, spec::Output format, const std::string& dest) {
  std::vector<std::string> argv{"qemu-img", "convert", "-q", "-f", "raw"};
  if (format == spec::Output::Qcow2) {
    argv.insert(argv.end(), {"-O", "qcow2"});
  } else if (format == spec::Output::Vhd) {
    argv.insert(argv.end(), {"-O", "vpc", "-o", "subformat=fixed,force_size=on"});
  } else {
    throw Error(std::string("convert disk to '") + spec::to_string(format) +
                "': not a disk format qemu-img writes");
  }
  argv.push_back(raw);
  argv.push_back(dest);
  run_tool(argv, std::string("the ") + spec::to_string(format) + " image");
}

void write_root_tar(const std::string& rootfs_dir, const std::string& state_dir,
                    const std::string& dest, int64_t epoch) {
  std::string mtime = "@" + std::to_string(epoch);
  std::vector<std::string> argv{
      "tar",
      "--create",
      "--file",
      dest,
      "--format=pax",
      "--numeric-owner",
      "--xattrs",
      "--xattrs-include=*",
      "--acls",
      "--sort=name",
      "--mtime=" + mtime,
      "--clamp-mtime",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
      "--directory",
      rootfs_dir};
  // Top-level entries in name order, with /var's content from the state
  // tree (the root tree keeps only the empty mount point).
  std::vector<std::string> names = list_dir(rootfs_dir);
  for (const std::string& name : names) {
    if (name == "var") continue;
    argv.push_back("./" + name);
  }
  argv.insert(argv.end(), {"--directory", state_dir, "./var"});
  run_tool(argv, "the root tar", {"LC_ALL=C", "TZ=UTC"});
}

}  // namespace kiln
