// The pins step: every `binaries` entry fetched (a local path, or a URL
// through the download cache), checked against its sha256, optionally
// extracted from an archive (`member`), and installed at `dest` with its
// mode, root-owned. kiln.lock records each as "binary:NAME".
#include <fcntl.h>

#include <cerrno>

#include "builder/inputs.hpp"
#include "builder/steps.hpp"
#include "util/archive_extract.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/root_dir.hpp"

namespace kiln {
namespace {

void install_binary(const RootDir& root, const spec::Binary& b, const std::string& path,
                    const std::string& what) {
  std::string leaf;
  UniqueFd parent = root.open_parent(b.dest, leaf, true, 0755);
  UniqueFd dir = open_file_at(parent.get(), ".", O_RDONLY | O_DIRECTORY);
  const std::string shown = root.path() + b.dest;
  AtomicFile out(dir.get(), leaf, b.mode, shown);
  if (b.member) {
    std::string source = b.source.is_url ? b.source.location : path;
    bool found = with_context("while extracting " + what,
                              [&] { return extract_member(path, *b.member, out.fd(), shown); });
    if (!found) {
      throw Error(what + ": member '" + *b.member + "' is not in '" + source + "'",
                  kExitMissingInput);
    }
  } else {
    UniqueFd in = open_file(path, O_RDONLY);
    copy_fd(in.get(), out.fd(), path, shown);
  }
  out.set_owner(0, 0);
  out.commit();
}

}  // namespace

void run_pin_step(BuildContext& ctx) {
  StepTimer timer("pins");
  if (ctx.spec.binaries.empty()) {
    timer.finish(StepStatus::Skipped);
    return;
  }
  RootDir root(ctx.rootfs_dir);
  for (const auto& b : ctx.spec.binaries) {
    const std::string what = "binary '" + b.name + "'";
    std::string path = fetch_pinned(ctx, b.source, what, &timer);
    install_binary(root, b, path, what);
    ctx.resolved["binary:" + b.name] = b.source.sha256;
  }
  timer.add_field("installed", ctx.spec.binaries.size());
  timer.finish();
}

}  // namespace kiln
