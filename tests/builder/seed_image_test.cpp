// `kiln seed` images: vfat and iso9660 volumes labelled cidata that
// kiln-firstboot's libblkid probe finds and reads back, the same kind of
// volume cloud-localds makes, mode 0600, written whole or not at all.
#include "builder/seed_image.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "firstboot/block_devices.hpp"
#include "firstboot/datasource.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

const SeedFiles kFiles{"#cloud-config\nhostname: seed-node\n", "instance-id: i-seed\n",
                       std::string("version: 2\nethernets: {}\n")};

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777U;
}

// One file of a seed image, read without mounting it: mtools for vfat,
// isoinfo's Rock Ridge view for iso9660.
std::string read_back(const std::string& image, const std::string& name, const std::string& type) {
  if (type == "vfat") {
    TempDir tmp;
    RunOptions o;
    o.env = {"MTOOLS_SKIP_CHECK=1"};
    run({"mcopy", "-n", "-i", image, "::" + name, tmp.path() + "/f"}, o);
    return read_file(tmp.path() + "/f");
  }
  return run({"isoinfo", "-R", "-i", image, "-x", "/" + name}).out;
}

// `kiln seed` on the three files written to `dir`.
test::CliResult kiln_seed(const std::string& dir, const std::string& out,
                          const std::vector<std::string>& extra) {
  test::write_text(dir + "/user-data", kFiles.user_data);
  test::write_text(dir + "/meta-data", kFiles.meta_data);
  test::write_text(dir + "/network-config", *kFiles.network_config);
  std::vector<std::string> argv{test::bin("kiln"),
                                "seed",
                                "--user-data",
                                dir + "/user-data",
                                "--meta-data",
                                dir + "/meta-data",
                                "--network-config",
                                dir + "/network-config",
                                "-o",
                                out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_cli(argv);
}

bool kernel_has(const std::string& fstype) {
  for (const auto& line : split(read_file_if_exists("/proc/filesystems").value_or(""), '\n')) {
    if (trim(line) == fstype || line.ends_with("\t" + fstype)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("kiln seed: vfat and iso9660 seeds are found as cidata by kiln-firstboot's probe",
          "[unit]") {
  for (const std::string type : {"vfat", "iso9660"}) {
    INFO(type);
    TempDir tmp;
    const std::string out = tmp.path() + "/seed.img";
    auto r = kiln_seed(
        tmp.path(), out,
        type == "vfat" ? std::vector<std::string>{} : std::vector<std::string>{"--format", type});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == out + ": " + type + " seed, label cidata\n");
    CHECK(mode_of(out) == 0600);
    auto volume = firstboot::probe_volume(out);
    REQUIRE(volume);
    CHECK(volume->label == "cidata");
    CHECK(volume->type == type);
    auto found = firstboot::find_volume({tmp.path() + "/user-data", out}, {"CIDATA", "cidata"});
    REQUIRE(found);
    CHECK(found->device == out);
    CHECK(read_back(out, "user-data", type) == kFiles.user_data);
    CHECK(read_back(out, "meta-data", type) == kFiles.meta_data);
    CHECK(read_back(out, "network-config", type) == *kFiles.network_config);
    // Nothing but the inputs and the image: no staging directory left.
    CHECK(list_dir(tmp.path()) ==
          std::vector<std::string>{"meta-data", "network-config", "seed.img", "user-data"});
  }
}

TEST_CASE("kiln seed: an iso9660 seed is what cloud-localds makes: volume id, Rock Ridge, Joliet",
          "[unit]") {
  TempDir tmp;
  const std::string ours = tmp.path() + "/kiln.iso";
  REQUIRE(kiln_seed(tmp.path(), ours, {"--format", "iso"}).exit_code == 0);
  const std::string theirs = tmp.path() + "/localds.iso";
  run({"cloud-localds", "-N", tmp.path() + "/network-config", theirs, tmp.path() + "/user-data",
       tmp.path() + "/meta-data"});
  auto descriptor = [](const std::string& iso) {
    std::vector<std::string> kept;
    for (const auto& line : split(run({"isoinfo", "-d", "-i", iso}).out, '\n')) {
      if (line.starts_with("Volume id:") || line.starts_with("Joliet") ||
          line.starts_with("Rock Ridge") || line.starts_with("Logical block size")) {
        kept.emplace_back(line);
      }
    }
    return kept;
  };
  CHECK(descriptor(ours) == descriptor(theirs));
  CHECK(descriptor(ours).size() == 4);
  // The same names in the Rock Ridge and in the Joliet view.
  for (const std::string view : {"-R", "-J"}) {
    auto names = [&](const std::string& iso) {
      std::vector<std::string> out;
      for (const auto& line : split(run({"isoinfo", view, "-f", "-i", iso}).out, '\n')) {
        if (!trim(line).empty()) out.emplace_back(trim(line));
      }
      return out;
    };
    INFO(view);
    CHECK(names(ours) == names(theirs));
    CHECK(names(ours) == std::vector<std::string>{"/meta-data", "/network-config", "/user-data"});
  }
  const std::string vfat = tmp.path() + "/localds.img";
  run({"cloud-localds", "-f", "vfat", vfat, tmp.path() + "/user-data", tmp.path() + "/meta-data"});
  CHECK(firstboot::probe_volume(vfat)->label == firstboot::probe_volume(ours)->label);
}

TEST_CASE("write_seed_image replaces a file whole, and a failure leaves what was there", "[unit]") {
  TempDir tmp;
  const std::string out = tmp.path() + "/seed.img";
  test::write_text(out, "old", 0644);
  write_seed_image(kFiles, out, SeedFormat::Iso9660, 0);
  CHECK(mode_of(out) == 0600);
  CHECK(firstboot::probe_volume(out)->type == "iso9660");
  write_seed_image({"#cloud-config\n", "instance-id: two\n", std::nullopt}, out, SeedFormat::Vfat,
                   0);
  CHECK(firstboot::probe_volume(out)->type == "vfat");
  CHECK(read_back(out, "meta-data", "vfat") == "instance-id: two\n");
  CHECK(list_dir(tmp.path()) == std::vector<std::string>{"seed.img"});

  // A directory where the image should go cannot be replaced: the error
  // names the output, and nothing is left beside it.
  mkdir_p(tmp.path() + "/dir.img");
  CHECK_THROWS_WITH(write_seed_image(kFiles, tmp.path() + "/dir.img", SeedFormat::Vfat, 0),
                    "write seed image '" + tmp.path() + "/dir.img': it is a directory");
  CHECK(list_dir(tmp.path()) == std::vector<std::string>{"dir.img", "seed.img"});
  CHECK(list_dir(tmp.path() + "/dir.img").empty());
  CHECK(read_back(out, "meta-data", "vfat") == "instance-id: two\n");

  CHECK(parse_seed_format("vfat") == SeedFormat::Vfat);
  CHECK(parse_seed_format("iso") == SeedFormat::Iso9660);
  CHECK(parse_seed_format("iso9660") == SeedFormat::Iso9660);
  CHECK_FALSE(parse_seed_format("ext4"));
}

TEST_CASE("kiln-firstboot's NoCloud source reads kiln's seeds back, in both formats", "[root]") {
  if (!test::enter_root_test_namespace()) return;
  for (const std::string type : {"vfat", "iso9660"}) {
    // Mounted, or read in user space where this kernel has no such driver.
    INFO(type << (kernel_has(type) ? " (mounted)" : " (read without mounting)"));
    TempDir tmp;
    const std::string out = tmp.path() + "/seed.img";
    write_seed_image(kFiles, out, *parse_seed_format(type), 0);
    auto seed = firstboot::read_volume_seed({tmp.path() + "/none", out});
    REQUIRE(seed);
    CHECK(seed->location == out);
    CHECK(seed->user_data.data == kFiles.user_data);
    REQUIRE(seed->meta_data);
    CHECK(seed->meta_data->data == kFiles.meta_data);
    REQUIRE(seed->network_config);
    CHECK(seed->network_config->data == *kFiles.network_config);
    CHECK(seed->read_problems.empty());
  }
}
