// Debian's containerd, started in a temp root with its own socket and state,
// imports what `kiln airgap pack` writes; the image digests it reports are
// the inputs' and the workload image runs.
#include <catch2/catch.hpp>

#include "airgap/image_source.hpp"
#include "airgap/pack.hpp"
#include "tests/airgap/background_process.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

class Containerd {
 public:
  explicit Containerd(const std::string& dir) : socket_(dir + "/containerd.sock") {
    write_text(dir + "/config.toml",
               "version = 2\nroot = \"" + dir + "/root\"\nstate = \"" + dir +
                   "/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n"
                   "  address = \"" +
                   socket_ + "\"\n");
    proc_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"containerd", "--config", dir + "/config.toml"},
        dir + "/containerd.log");
    if (!wait_for_path(socket_, 20000)) FAIL("containerd did not start: " + proc_->log());
  }
  RunResult ctr(std::vector<std::string> args) {
    args.insert(args.begin(), {"ctr", "-a", socket_, "-n", "kiln-test"});
    RunOptions o;
    o.timeout = std::chrono::seconds(120);
    return run(args, o);
  }

 private:
  std::string socket_;
  std::unique_ptr<BackgroundProcess> proc_;
};

}  // namespace

TEST_CASE("containerd imports a packed archive and reports the input digests", "[root]") {
  if (!enter_root_test_namespace()) return;
  TempDir tmp;
  // Two OCI images sharing a busybox base layer, and the stand-in's workload
  // docker-archive.
  LayerBlob base = layer_from_tar(busybox_layer(Compression::Gzip), Compression::Gzip);
  OciLayout layout(tmp.path() + "/layout");
  std::map<std::string, std::string> want;
  for (const char* app : {"alpha", "beta"}) {
    auto img = layout.add_image(
        {base, make_layer({{TarEntry::Type::File, std::string("srv/") + app, app}})});
    std::string name = std::string("kiln.test/apps/") + app + ":1";
    layout.list(img.manifest, name);
    want[name] = img.manifest.digest;
  }
  layout.finish();
  auto oci = airgap::open_image_source(layout.dir());
  auto workload = airgap::open_image_source(standin_workload_archive());
  want[standin_workload_image()] = workload->images()[0].manifest.digest;
  std::string archive = tmp.path() + "/kiln-airgap.tar.zst";
  airgap::PackResult packed = airgap::pack_images({oci.get(), workload.get()}, archive, {});
  REQUIRE(packed.images.size() == 3);

  Containerd containerd(tmp.path() + "/containerd");
  // containerd's importer reads a plain tar; RKE2 decompresses .tar.zst
  // itself before handing the stream over, as this does.
  std::string tar = tmp.path() + "/kiln-airgap.tar";
  run({"zstd", "-q", "-d", "-o", tar, archive});
  containerd.ctr({"images", "import", tar});
  std::map<std::string, std::string> got;
  // REF TYPE DIGEST SIZE PLATFORMS LABELS, after a header line.
  auto rows = split(containerd.ctr({"images", "ls"}).out, '\n');
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> cols;
    for (const auto& c : split(rows[i], ' ')) {
      if (!c.empty()) cols.push_back(c);
    }
    if (cols.size() >= 3) got[cols[0]] = cols[2];
  }
  CHECK(got == want);
  CHECK(containerd.ctr({"images", "check"}).out.find("incomplete") == std::string::npos);
  auto ran = containerd.ctr({"run", "--rm", standin_workload_image(), "kiln-import-test"});
  CHECK(ran.out.find("kiln-workload: ok") != std::string::npos);
}
