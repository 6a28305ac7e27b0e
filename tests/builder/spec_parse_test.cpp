#include <catch2/catch.hpp>

#include "builder/data_dir.hpp"
#include "builder/spec_parse.hpp"
#include "builder/spec_values.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;
using namespace kiln::spec;

namespace {
ParseOptions options() {
  ParseOptions o;
  o.overlays_dir = test::source_dir() + "/overlays";
  return o;
}
}  // namespace

TEST_CASE("sizes and modes parse strictly", "[unit]") {
  CHECK(parse_size("512M") == 512ULL << 20);
  CHECK(parse_size("2G") == 2ULL << 30);
  CHECK(parse_size("1.5GiB") == 3ULL << 29);
  CHECK(parse_size("4096") == 4096U);
  CHECK_FALSE(parse_size("1.5").has_value());
  CHECK_FALSE(parse_size("12X").has_value());
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("1..5G").has_value());
  CHECK(parse_mode("0755") == 0755U);
  CHECK(parse_mode("644") == 0644U);
  CHECK(parse_mode("0o600") == 0600U);
  CHECK(parse_mode("4755") == 04755U);
  CHECK_FALSE(parse_mode("0999").has_value());
  CHECK_FALSE(parse_mode("7").has_value());
}

TEST_CASE("the full example parses into the model with paths resolved against the spec", "[unit]") {
  std::string dir = test::fixture("specs/valid");
  ImageSpec s = load_spec(dir + "/full.yaml", options());
  CHECK(s.name == "full-example");
  CHECK(s.version == "2.1.0");
  CHECK(s.file == dir + "/full.yaml");
  REQUIRE(std::holds_alternative<DebianBase>(s.base));
  const auto& deb = std::get<DebianBase>(s.base);
  CHECK(deb.suite == "bookworm");
  CHECK(deb.components == std::vector<std::string>{"main", "contrib"});
  CHECK(deb.packages.size() == 3);
  REQUIRE(s.overlays.size() == 3);
  CHECK(s.overlays[0].builtin);
  CHECK(s.overlays[0].path == test::source_dir() + "/overlays/rke2-base");
  CHECK(s.overlays[1].files.at(0).mode == 0700U);
  CHECK(s.overlays[2].path == dir + "/inputs/overlay-dir");
  CHECK(s.overlays[2].files.at(0).owner->group == "adm");
  REQUIRE(s.binaries.size() == 2);
  CHECK(s.binaries[0].member == "bin/tool");
  CHECK_FALSE(s.binaries[0].source.is_url);
  CHECK(s.binaries[1].source.is_url);
  CHECK(s.binaries[1].name == "crictl");
  CHECK(s.binaries[1].source.sha256 == s.binaries[0].source.sha256);  // "sha256:" prefix stripped
  REQUIRE(s.rke2);
  CHECK(s.rke2->images == std::vector<std::string>{"core", "canal"});
  CHECK(s.rke2->artifacts == dir + "/inputs/artifacts");
  REQUIRE(s.airgap.images.size() == 3);
  CHECK(s.airgap.images[0].digest->starts_with("sha256:"));
  CHECK(s.airgap.images[1].sha256.has_value());  // an archive file: pinned
  CHECK(s.airgap.images[2].archive == dir + "/inputs/oci-layout");
  CHECK_FALSE(s.airgap.images[2].sha256);  // an OCI layout: its blobs are checked instead
  REQUIRE(s.airgap.mirrors.size() == 1);
  CHECK(s.airgap.mirrors[0].rewrites.size() == 1);
  REQUIRE(s.airgap.configs.size() == 1);
  CHECK(s.airgap.configs[0].password_file == dir + "/inputs/registry-password");
  CHECK(s.airgap.system_default_registry == "mirror.local:5000");
  CHECK(s.boot.cmdline == "console=ttyS0 quiet");
  CHECK(s.partitions.esp.bytes == 128ULL << 20);
  CHECK(s.partitions.root.automatic());
  CHECK(s.partitions.headroom_percent == 20U);
  CHECK(s.outputs == std::vector<Output>{Output::Raw, Output::Qcow2, Output::Vhd, Output::Tar});
  CHECK(s.firstboot.seed == dir + "/inputs/seed");
  CHECK(s.sha256.size() == 64);
}

TEST_CASE("defaults apply when sections are absent", "[unit]") {
  ParseResult r = parse_spec(
      "name: t\nversion: '1'\nbase:\n  debian: {suite: bookworm, mirror: http://deb.debian.org/debian}\n",
      "/tmp/t.yaml", options());
  REQUIRE(r.spec);
  CHECK(r.spec->outputs == std::vector<Output>{Output::Raw, Output::Qcow2});
  CHECK(r.spec->boot.cmdline == "console=ttyS0");
  CHECK_FALSE(r.spec->rke2.has_value());
  CHECK(std::get<DebianBase>(r.spec->base).variant == "minbase");
}

TEST_CASE("load_spec throws the first error and lists the rest as detail", "[unit]") {
  std::string path = test::fixture("specs/invalid/37-multiple-errors.yaml");
  try {
    (void)load_spec(path, options());
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.exit_code() == kExitInvalidSpec);
    CHECK(std::string(e.what()) ==
          path + ":5:10: version must be non-empty without spaces or '/', got '1 0'");
    CHECK(e.detail() == path + ":10:5: unknown key 'sute' in base.debian; did you mean 'suite'?\n" +
                            path + ":11:1: unknown key 'overlay' in the spec; did you mean 'overlays'?\n");
  }
}
