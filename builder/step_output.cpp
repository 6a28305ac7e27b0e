// The output step: every format the spec lists, written into the output dir
// under a temp name and renamed only when complete, then manifest.json
// (last, so its presence means the outputs beside it are whole). A failure
// leaves no partial file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <memory>

#include <sys/stat.h>

#include "builder/dpkg_status.hpp"
#include "builder/manifest.hpp"
#include "builder/outputs.hpp"
#include "builder/sparse_copy.hpp"
#include "builder/steps.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/root_dir.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

// A file being written in the output dir: removed unless committed.
class PendingOutput {
 public:
  PendingOutput(const std::string& dir, const std::string& name)
      : final_(path_join(dir, name)),
        temp_(path_join(dir, "." + name + ".partial-" + std::to_string(::getpid()))) {
    ::unlink(temp_.c_str());
  }
  PendingOutput(const PendingOutput&) = delete;
  PendingOutput& operator=(const PendingOutput&) = delete;
  ~PendingOutput() {
    if (!committed_) ::unlink(temp_.c_str());
  }
  [[nodiscard]] const std::string& temp() const { return temp_; }
  [[nodiscard]] const std::string& final_path() const { return final_; }
  void commit() {
    rename_durable(temp_, final_);
    committed_ = true;
  }

 private:
  std::string final_;
  std::string temp_;
  bool committed_ = false;
};

uint64_t size_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat", path);
  return static_cast<uint64_t>(st.st_size);
}

void fsync_path(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  if (::fsync(fd.get()) != 0) throw_errno("sync", path);
}

// The raw disk moves into place when the work dir shares the output dir's
// file system (the pipeline puts it there); otherwise it is copied.
void place_raw(const std::string& disk, const std::string& temp) {
  if (::rename(disk.c_str(), temp.c_str()) == 0) return;
  if (errno != EXDEV) throw_errno("move the disk image to", temp);
  copy_sparse_file(disk, temp);
}

}  // namespace

void run_output_step(BuildContext& ctx) {
  StepTimer timer("outputs");
  ImageArtifacts& img = ctx.image;
  if (img.disk_path.empty()) {
    throw Error("write outputs to '" + ctx.options.output_dir +
                "': no disk was assembled; the assemble step must run first");
  }
  check_outputs_implemented(ctx.spec);
  const std::string& out_dir = ctx.options.output_dir;
  mkdir_p(out_dir, 0755);

  // The raw disk is moved last: the conversions read it.
  std::vector<spec::Output> order;
  for (spec::Output o : ctx.spec.outputs) {
    if (o != spec::Output::Raw) order.push_back(o);
  }
  bool want_raw = order.size() != ctx.spec.outputs.size();

  // Hashing the raw disk overlaps with the conversions (both only read it).
  std::future<std::string> raw_sha256;
  if (want_raw) {
    raw_sha256 = std::async(std::launch::async, [&img] { return sha256_file(img.disk_path); });
  }

  std::vector<std::unique_ptr<PendingOutput>> pending;
  for (spec::Output o : order) {
    auto p = std::make_unique<PendingOutput>(out_dir, output_file_name(ctx.spec, o));
    if (o == spec::Output::Tar) {
      write_root_tar(ctx.rootfs_dir, img.state_dir, p->temp(), img.source_date_epoch);
    } else {
      convert_disk(img.disk_path, o, p->temp());
    }
    fsync_path(p->temp());
    img.outputs.push_back(
        {spec::to_string(o), p->final_path(), sha256_file(p->temp()), size_of(p->temp())});
    pending.push_back(std::move(p));
  }
  if (want_raw) {
    auto p =
        std::make_unique<PendingOutput>(out_dir, output_file_name(ctx.spec, spec::Output::Raw));
    std::string sum = raw_sha256.get();
    place_raw(img.disk_path, p->temp());
    fsync_path(p->temp());
    img.outputs.insert(img.outputs.begin(), {"raw", p->final_path(), sum, size_of(p->temp())});
    pending.push_back(std::move(p));
  }

  if (ctx.report.packages.empty() && !img.state_dir.empty()) {
    // The dpkg database moved to the state tree with the rest of /var.
    RootDir state(img.state_dir);
    auto text = state.read_file("var/lib/dpkg/status", 256ULL << 20);
    if (text) ctx.report.packages = parse_dpkg_status(*text);
  }

  PendingOutput manifest(out_dir, "manifest.json");
  {
    UniqueFd fd = open_file(manifest.temp(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write_all(fd.get(), build_manifest(ctx).dump(2) + "\n", manifest.temp());
    if (::fsync(fd.get()) != 0) throw_errno("sync", manifest.temp());
  }
  // Everything is complete: rename the outputs into place, manifest last.
  for (auto& p : pending) p->commit();
  manifest.commit();
  img.manifest_path = manifest.final_path();
  for (const OutputFile& o : img.outputs) timer.add_field(o.format, o.path);
  timer.finish();
}

}  // namespace kiln
