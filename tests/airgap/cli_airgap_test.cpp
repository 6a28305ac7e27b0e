#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/airgap/fake_registry.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// The one line main() prints for an error (step events come before it).
std::string error_line(const CliResult& r) {
  for (const auto& line : split(r.err, '\n')) {
    if (line.starts_with("kiln")) return line;
  }
  return "";
}

CliResult run_kiln(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), bin("kiln"));
  return run_cli(args, env);
}

}  // namespace

TEST_CASE("kiln airgap verify checks an artifact directory", "[unit]") {
  CliResult ok = run_kiln({"airgap", "verify", standin_artifacts_dir(), "--images", "core,canal"});
  CHECK(ok.exit_code == 0);
  CHECK(first_line(ok.out) == standin_artifacts_dir() + ": verified against sha256sum-amd64.txt");
  CHECK(ok.out.find("  image sets: canal (rke2-images-canal.linux-amd64.tar.zst), core "
                    "(rke2-images-core.linux-amd64.tar.zst)\n") != std::string::npos);
  TempDir tmp;
  CliResult missing = run_kiln({"airgap", "verify", tmp.path() + "/nope"});
  CHECK(missing.exit_code == 4);
  CHECK(error_line(missing) ==
        "kiln: error: rke2 artifacts '" + tmp.path() + "/nope': not a directory");
  CliResult usage = run_kiln({"airgap", "verfy"});
  CHECK(usage.exit_code == 2);
  CHECK(error_line(usage) ==
        "kiln airgap: unknown command 'verfy'; did you mean 'verify'? (see 'kiln airgap --help')");
}

TEST_CASE("kiln airgap ls lists images as a table or JSON", "[unit]") {
  CliResult table = run_kiln({"airgap", "ls", standin_workload_archive()});
  CHECK(table.exit_code == 0);
  CHECK(table.out.starts_with(standin_workload_image() + "  sha256:"));
  CliResult json = run_kiln({"airgap", "ls", "--json", standin_workload_archive()});
  REQUIRE(json.exit_code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j[0]["format"] == "docker-archive");
  CHECK(j[0]["images"][0]["names"][0] == standin_workload_image());
  CHECK(j[0]["images"][0]["platform"] == "linux/amd64");

  TempDir tmp;
  std::string bytes = read_file(standin_workload_archive());
  write_text(tmp.path() + "/cut.tar", bytes.substr(0, bytes.size() / 2));
  CliResult cut = run_kiln({"airgap", "ls", tmp.path() + "/cut.tar"});
  CHECK(cut.exit_code == 3);
  CHECK(error_line(cut).starts_with("kiln: error: archive '" + tmp.path() +
                                    "/cut.tar': truncated inside member '"));
}

TEST_CASE("kiln airgap pack writes the archive and its list, or nothing", "[unit]") {
  TempDir tmp;
  std::string out = tmp.path() + "/out/images.tar.zst";
  mkdir_p(tmp.path() + "/out");
  CliResult r =
      run_kiln({"airgap", "pack", standin_workload_archive(),
                standin_artifacts_dir() + "/rke2-images-canal.linux-amd64.tar.zst", "-o", out});
  REQUIRE(r.exit_code == 0);
  CHECK(first_line(r.out) ==
        "packed 3 images into " + out + " (" + human_bytes(lstat_path(out)->st_size) + ")");
  CHECK(read_file(tmp.path() + "/out/images.txt").find(standin_workload_image() + "\n") == 0);

  CliResult window = run_kiln({"airgap", "pack", standin_workload_archive(), "--window-log", "27",
                               "-o", tmp.path() + "/w.tar.zst"});
  CHECK(window.exit_code == 2);
  CHECK(error_line(window) ==
        "kiln: error: zstd window log 27 exceeds 25: RKE2 rejects archives "
        "whose zstd window is over 32 MiB");
  CliResult ext =
      run_kiln({"airgap", "pack", standin_workload_archive(), "-o", tmp.path() + "/x.zip"});
  CHECK(ext.exit_code == 2);
  CHECK(error_line(ext) == "kiln: error: output '" + tmp.path() +
                               "/x.zip' must end in .tar.zst (zstd) or .tar (uncompressed)");
  CliResult no_out = run_kiln({"airgap", "pack", standin_workload_archive()});
  CHECK(no_out.exit_code == 2);
  CHECK(error_line(no_out) == "kiln airgap pack: missing --output FILE (see --help)");
  CHECK(list_dir(tmp.path()) == std::vector<std::string>{"out"});
}

TEST_CASE("kiln airgap pull writes an archive, and nothing when the registry fails", "[unit]") {
  TempDir tmp;
  OciLayout upstream(tmp.path() + "/upstream");
  auto img = upstream.add_image({make_layer({{TarEntry::Type::File, "app", "x"}})});
  upstream.finish();
  FakeRegistry reg(upstream.dir());
  reg.tag("team/app:1", img.manifest.digest, img.manifest.media_type);
  std::string ref = reg.host() + "/team/app:1";
  std::string out = tmp.path() + "/out/pulled.tar";
  mkdir_p(tmp.path() + "/out");
  CliResult ok = run_kiln({"airgap", "pull", ref, "-o", out, "--cache-dir", tmp.path() + "/cache"});
  REQUIRE(ok.exit_code == 0);
  CHECK(first_line(ok.out) == ref + "  " + img.manifest.digest);
  CliResult ls = run_kiln({"airgap", "ls", out});
  CHECK(ls.out.starts_with(ref + "  " + img.manifest.digest));

  std::string missing = reg.host() + "/team/app:2";
  CliResult nf = run_kiln({"airgap", "pull", missing, "-o", tmp.path() + "/out/x.tar",
                           "--cache-dir", tmp.path() + "/cache"});
  CHECK(nf.exit_code == 4);
  CHECK(error_line(nf) == "kiln: error: GET 'http://" + reg.host() +
                              "/v2/team/app/manifests/2': 404 Not Found: manifest unknown, while "
                              "pulling '" +
                              missing + "'");
  CHECK(list_dir(tmp.path() + "/out") == std::vector<std::string>{"pulled.tar", "pulled.txt"});
}

TEST_CASE("kiln airgap verify: an unknown image set or architecture is a usage error", "[unit]") {
  const std::string dir = standin_artifacts_dir();
  const std::string see = " (see 'kiln airgap verify --help')";
  const std::string known =
      "(known: all, core, canal, calico, cilium, flannel, multus, harvester, vsphere, traefik)";
  auto usage = [&](const std::vector<std::string>& extra, const std::string& message) {
    std::vector<std::string> args{"airgap", "verify", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = run_kiln(args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == message + "\n");
  };
  usage({"--images", "bogus"},
        "kiln airgap verify: --images: unknown image set 'bogus' " + known + see);
  usage({"--images", "core,calicoo"}, "kiln airgap verify: --images: unknown image set 'calicoo' " +
                                          known + "; did you mean 'calico'?" + see);
  usage({"--images", "core,core"}, "kiln airgap verify: --images: 'core' is listed twice" + see);
  usage({"--images", "all,canal"},
        "kiln airgap verify: --images: 'all' already holds every image; list it alone" + see);
  usage({"--images", "canal"},
        "kiln airgap verify: --images: needs 'core' (plus a CNI) or 'all'" + see);
  usage({"--arch", "arm64"},
        "kiln airgap verify: --arch 'arm64' is not supported (only amd64)" + see);
  // What is valid still verifies.
  CHECK(run_kiln({"airgap", "verify", dir, "--images", "all", "--arch", "amd64"}).exit_code == 0);
}

TEST_CASE("kiln airgap pack: --level is 1-19, as its help says", "[unit]") {
  CliResult help = run_kiln({"airgap", "pack", "--help"});
  CHECK(help.out.find("zstd level, 1-19 (default 3)") != std::string::npos);
  TempDir tmp;
  for (const char* level : {"0", "20", "22"}) {
    INFO(level);
    CliResult r = run_kiln({"airgap", "pack", standin_workload_archive(), "--level", level, "-o",
                            tmp.path() + "/x.tar.zst"});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "kiln airgap pack: option '--level' expects an integer from 1 to 19, got '" +
                       std::string(level) + "' (see 'kiln airgap pack --help')\n");
    CHECK(list_dir(tmp.path()).empty());
  }
  CliResult top = run_kiln({"airgap", "pack", standin_workload_archive(), "--level", "19", "-o",
                            tmp.path() + "/x.tar.zst"});
  CHECK(top.exit_code == 0);
}

namespace {

// Every stdout line of a --json run is a JSON value; returns them.
std::vector<nlohmann::json> json_lines(const CliResult& r) {
  std::vector<nlohmann::json> out;
  for (const auto& line : split(r.out, '\n')) {
    if (line.empty()) continue;
    INFO(line);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    CHECK_FALSE(j.is_discarded());
    out.push_back(j);
  }
  return out;
}

nlohmann::json step_event(const std::vector<nlohmann::json>& events, const std::string& step) {
  for (const auto& e : events) {
    if (e.value("event", "") == "step" && e.value("step", "") == step) return e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("kiln --json airgap pack and pull: only JSON lines on stdout, counts as numbers",
          "[unit]") {
  TempDir tmp;
  const std::string packed = tmp.path() + "/packed.tar.zst";
  CliResult pack = run_kiln({"--json", "airgap", "pack", standin_workload_archive(), "-o", packed});
  REQUIRE(pack.exit_code == 0);
  auto events = json_lines(pack);
  nlohmann::json p = step_event(events, "pack");
  REQUIRE(p.is_object());
  CHECK(p["status"] == "ok");
  CHECK(p["images"] == 1);
  for (const char* k : {"image_bytes", "stored_bytes", "output_bytes"}) {
    INFO(k);
    CHECK(p[k].is_number_unsigned());
  }
  CHECK(p["output_bytes"] == static_cast<uint64_t>(lstat_path(packed)->st_size));
  CHECK(p["archive"] == packed);
  CHECK(p["list"] == tmp.path() + "/packed.txt");
  CHECK(pack.out.find("packed ") == std::string::npos);

  // ls: its document on one line, not pretty-printed over many.
  CliResult ls = run_kiln({"--json", "airgap", "ls", packed});
  REQUIRE(ls.exit_code == 0);
  REQUIRE(json_lines(ls).size() == 1);
  CHECK(json_lines(ls)[0][0]["images"][0]["names"][0] == standin_workload_image());

  OciLayout upstream(tmp.path() + "/upstream");
  auto img = upstream.add_image({make_layer({{TarEntry::Type::File, "app", "x"}})});
  upstream.finish();
  FakeRegistry reg(upstream.dir());
  reg.tag("team/app:1", img.manifest.digest, img.manifest.media_type);
  const std::string ref = reg.host() + "/team/app:1";
  const std::string pulled = tmp.path() + "/pulled.tar";
  CliResult pull = run_kiln(
      {"--json", "airgap", "pull", ref, "-o", pulled, "--cache-dir", tmp.path() + "/cache"});
  REQUIRE(pull.exit_code == 0);
  nlohmann::json q = step_event(json_lines(pull), "pull");
  REQUIRE(q.is_object());
  CHECK(q["images"] == 1);
  CHECK(q["image:" + ref] == img.manifest.digest);
  CHECK(q["output_bytes"] == static_cast<uint64_t>(lstat_path(pulled)->st_size));
  CHECK(q["archive"] == pulled);
}
