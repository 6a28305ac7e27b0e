// The output step: formats, atomic placement, manifest.json, and formats
// this kiln cannot write.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/outputs.hpp"
#include "builder/steps.hpp"
#include "tests/builder/image_fixture.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

TEST_CASE("outputs: raw, qcow2, vhd and tar beside a manifest that describes them", "[unit]") {
  test::TinyImage t;
  t.spec.outputs = {spec::Output::Raw, spec::Output::Qcow2, spec::Output::Vhd, spec::Output::Tar};
  t.as_if_initramfs_ran();
  t.ctx->report.removed = {"/etc/ssh/ssh_host_rsa_key"};
  t.ctx->report.packages = {{"systemd", "252.39-1"}};
  run_assemble_step(*t.ctx);
  const std::string raw_sum = sha256_file(t.ctx->image.disk_path);
  const uint64_t disk_size = t.ctx->image.disk_size;
  run_output_step(*t.ctx);

  const std::string out = t.ctx->options.output_dir;
  CHECK(list_dir(out) == std::vector<std::string>{"manifest.json", "tiny.qcow2", "tiny.raw",
                                                  "tiny.tar", "tiny.vhd"});
  CHECK(sha256_file(out + "/tiny.raw") == raw_sum);
  auto info =
      nlohmann::json::parse(run({"qemu-img", "info", "--output=json", out + "/tiny.qcow2"}).out);
  CHECK(info["format"] == "qcow2");
  CHECK(info["virtual-size"] == disk_size);
  // A fixed VHD is the raw disk plus a 512-byte footer ("conectix").
  CHECK(static_cast<uint64_t>(lstat_path(out + "/tiny.vhd")->st_size) == disk_size + 512);
  RunOptions quiet;
  quiet.check = false;
  auto footer = run({"tail", "-c", "512", out + "/tiny.vhd"}, quiet);
  CHECK(footer.out.substr(0, 8) == "conectix");
  CHECK(run({"cmp", "-n", std::to_string(disk_size), out + "/tiny.raw", out + "/tiny.vhd"}, quiet)
            .exit_status == 0);
  auto listing = run({"tar", "-tf", out + "/tiny.tar"}).out;
  CHECK_THAT(listing, Catch::Contains("./var/lib/tiny/data\n"));
  CHECK_THAT(listing, Catch::Contains("./etc/hostname\n"));

  auto m = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(m["name"] == "tiny");
  CHECK(m["version"] == "1.0");
  CHECK(m["spec_sha256"] == t.spec.sha256);
  CHECK(m["lock"]["base"] == std::string(64, 'b'));
  CHECK(m["boot"]["kernel_version"] == test::kTinyKernelVersion);
  CHECK(m["boot"]["cmdline"] == t.ctx->image.cmdline);
  CHECK(m["disk"]["partitions"].size() == 3);
  CHECK(m["disk"]["partitions"][1]["name"] == "kiln-root");
  CHECK(m["disk"]["partitions"][1]["filesystem"] == "erofs");
  CHECK(m["disk"]["partitions"][2]["start"] == t.ctx->image.partitions[2].start);
  for (const char* f : {"raw", "qcow2", "vhd", "tar"}) {
    INFO(f);
    std::string file = m["outputs"][f]["file"];
    CHECK(m["outputs"][f]["sha256"] == sha256_file(out + "/" + file));
  }
  CHECK(m["packages"]["systemd"] == "252.39-1");
  CHECK(m["hygiene"]["removed"][0] == "/etc/ssh/ssh_host_rsa_key");
}

TEST_CASE("package versions come from the image's dpkg database", "[unit]") {
  test::TinyImage t;
  test::write_text(t.ctx->rootfs_dir + "/var/lib/dpkg/status",
                   "Package: kmod\nStatus: install ok installed\nVersion: 30+20221128-1\n\n"
                   "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n");
  t.as_if_initramfs_ran();
  run_assemble_step(*t.ctx);
  run_output_step(*t.ctx);
  auto m = nlohmann::json::parse(read_file(t.ctx->options.output_dir + "/manifest.json"));
  CHECK(m["packages"] == nlohmann::json{{"kmod", "30+20221128-1"}});
}

TEST_CASE("an output format this kiln cannot write is an error before anything is written",
          "[unit]") {
  test::TinyImage t;
  t.spec.outputs = {spec::Output::Raw, spec::Output::Iso};
  try {
    check_outputs_implemented(t.spec);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.message() == "output 'iso' in '" + t.spec.file +
                             "': not implemented in this kiln (implemented: raw, qcow2, vhd, tar)");
  }
  t.as_if_initramfs_ran();
  run_assemble_step(*t.ctx);
  CHECK_THROWS_WITH(run_output_step(*t.ctx), Catch::StartsWith("output 'iso' in"));
  CHECK(!path_exists(t.ctx->options.output_dir));
}

TEST_CASE("a failing conversion leaves no partial output", "[unit]") {
  test::TinyImage t;
  t.spec.outputs = {spec::Output::Raw, spec::Output::Qcow2};
  t.as_if_initramfs_ran();
  run_assemble_step(*t.ctx);
  // A disk qemu-img cannot read.
  ::truncate(t.ctx->image.disk_path.c_str(), 0);
  t.ctx->image.disk_path += ".missing";
  try {
    run_output_step(*t.ctx);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 5);
    CHECK_THAT(e.what(), Catch::Contains("while writing the qcow2 image"));
  }
  CHECK(list_dir(t.ctx->options.output_dir).empty());
}
