// `kiln seed --role`: user-data generated for an RKE2 node that
// kiln-firstboot's validator accepts, the token only inside the (0600)
// image; and every bad input: its exact one-line error, its exit code, and
// no image written.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "firstboot/seed_check.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

using namespace kiln;

namespace {

constexpr const char* kToken = "K10c0ffee-seed-token";
constexpr const char* kKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKiln000000000000000000000000000000000000000 kiln@test";

// A directory with a token file, an SSH key file and room for the seed.
struct SeedDir {
  TempDir dir;
  SeedDir() {
    test::write_text(token(), std::string(kToken) + "\n", 0600);
    test::write_text(path("key.pub"), "# the operator\n" + std::string(kKey) + "\n\n");
  }
  [[nodiscard]] std::string path(const std::string& name) const { return dir.path() + "/" + name; }
  [[nodiscard]] std::string token() const { return path("token"); }
  [[nodiscard]] std::string out() const { return path("seed.img"); }

  [[nodiscard]] test::CliResult seed(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{test::bin("kiln"), "seed"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_cli(argv);
  }
  // The seed's files, copied out of the vfat image into DIR/back.
  [[nodiscard]] std::string read_back() const {
    const std::string back = path("back");
    mkdir_p(back, 0700);
    RunOptions o;
    o.env = {"MTOOLS_SKIP_CHECK=1"};
    run({"mcopy", "-n", "-i", out(), "::user-data", "::meta-data", back}, o);
    return back;
  }
  // Runs `args` (plus -o) expecting failure: the exact message on stderr
  // and nothing else, the exit code, no image and nothing new beside it.
  void expect_failure(std::vector<std::string> args, int exit_code,
                      const std::string& message) const {
    const auto before = list_dir(dir.path());
    args.insert(args.end(), {"-o", out()});
    auto r = seed(args);
    INFO(test::first_line(r.err));
    CHECK(r.exit_code == exit_code);
    CHECK(r.err == message + "\n");
    CHECK(r.out.empty());
    CHECK(r.err.find(kToken) == std::string::npos);
    CHECK(list_dir(dir.path()) == before);
  }
};

std::string usage(const std::string& message) {
  return "kiln seed: " + message + " (see 'kiln seed --help')";
}

}  // namespace

TEST_CASE("kiln seed --role server --cluster-init: user-data kiln-firstboot accepts", "[unit]") {
  SeedDir d;
  auto r = d.seed({"--role", "server", "--cluster-init", "--token-file", d.token(), "--hostname",
                   "node-a", "--ssh-key", d.path("key.pub"), "-o", d.out()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(kToken) == std::string::npos);
  CHECK(r.err.find(kToken) == std::string::npos);
  const std::string back = d.read_back();
  YAML::Node ud = YAML::LoadFile(back + "/user-data");
  CHECK(read_file(back + "/user-data").starts_with("#cloud-config\n"));
  CHECK(ud["rke2"]["role"].as<std::string>() == "server");
  CHECK(ud["rke2"]["cluster-init"].as<bool>());
  CHECK_FALSE(ud["rke2"]["server"]);
  CHECK(ud["rke2"]["token"].as<std::string>() == kToken);
  CHECK(ud["rke2"]["node-name"].as<std::string>() == "node-a");
  REQUIRE(ud["ssh_authorized_keys"].size() == 1);
  CHECK(ud["ssh_authorized_keys"][0].as<std::string>() == kKey);
  YAML::Node md = YAML::LoadFile(back + "/meta-data");
  CHECK(md["local-hostname"].as<std::string>() == "node-a");
  CHECK(md["instance-id"].as<std::string>().starts_with("iid-"));
  CHECK(md["instance-id"].as<std::string>().size() == 20);
  // What was written, read back, passes kiln-firstboot's own validation.
  firstboot::SeedCheck check = firstboot::validate_seed_dir(back, "seed");
  for (const auto& e : check.errors) FAIL_CHECK(e.str());
  CHECK(check.warnings.empty());
  CHECK(check.instance_id == md["instance-id"].as<std::string>());
}

TEST_CASE(
    "kiln seed --role agent --server: a joining node, and the instance-id follows the content",
    "[unit]") {
  SeedDir d;
  auto agent = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--role",       "agent",   "--server", "https://10.0.0.10:9345",
                                  "--token-file", d.token(), "-o",       d.out()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = d.seed(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string back = d.read_back();
    CHECK(firstboot::validate_seed_dir(back, "seed").ok());
    return std::pair{YAML::LoadFile(back + "/user-data"), read_file(back + "/meta-data")};
  };
  auto [ud, md] = agent({"--instance-id", "i-agent-9"});
  CHECK(ud["rke2"]["role"].as<std::string>() == "agent");
  CHECK(ud["rke2"]["server"].as<std::string>() == "https://10.0.0.10:9345");
  CHECK(ud["rke2"]["token"].as<std::string>() == kToken);
  CHECK_FALSE(ud["rke2"]["cluster-init"]);
  CHECK_FALSE(ud["ssh_authorized_keys"]);
  CHECK(md == "instance-id: i-agent-9\n");

  // Derived ids: the same data gives the same id, a new token a new one.
  const std::string first = agent({}).second;
  CHECK(agent({}).second == first);
  test::write_text(d.token(), "K10another-token\n", 0600);
  CHECK(agent({}).second != first);

  // --format iso9660 holds the same files.
  auto r = d.seed({"--role", "agent", "--server", "https://10.0.0.10:9345", "--token-file",
                   d.token(), "--format", "iso9660", "-o", d.path("seed.iso")});
  CHECK(r.exit_code == 0);
  CHECK(run({"isoinfo", "-R", "-i", d.path("seed.iso"), "-x", "/user-data"})
            .out.find("K10another-token") != std::string::npos);
}

TEST_CASE("kiln seed: usage errors are one line, exit 2, and write nothing", "[unit]") {
  SeedDir d;
  test::write_text(d.path("user-data"), "#cloud-config\n");
  const std::string ud = d.path("user-data");
  const std::string tf = d.token();
  auto r = d.seed({"--user-data", ud});
  CHECK(r.exit_code == 2);
  CHECK(r.err == usage("missing option '--output' (-o SEED.img)") + "\n");

  d.expect_failure({"--user-data", ud, "--format", "ext4"}, 2,
                   usage("option '--format' expects vfat or iso9660, got 'ext4'"));
  d.expect_failure({}, 2, usage("give --user-data FILE, or --role server|agent to generate it"));
  d.expect_failure(
      {"--user-data", ud, "--role", "server"}, 2,
      usage("--user-data and --role cannot be combined: --role generates the user-data"));
  d.expect_failure({"--user-data", ud, "--server", "https://a:9345"}, 2,
                   usage("--server needs --role"));
  d.expect_failure({"--user-data", ud, "--token-file", tf}, 2, usage("--token-file needs --role"));
  d.expect_failure({"--user-data", ud, "--meta-data", ud, "--hostname", "h"}, 2,
                   usage("--meta-data cannot be combined with --hostname or --instance-id, which "
                         "generate it"));
  d.expect_failure({"--role", "worker", "--token-file", tf}, 2,
                   usage("option '--role' expects server or agent, got 'worker'"));
  d.expect_failure({"--role", "agent", "--cluster-init", "--token-file", tf}, 2,
                   usage("--cluster-init is only for --role server"));
  d.expect_failure(
      {"--role", "server", "--cluster-init", "--server", "https://a:9345", "--token-file", tf}, 2,
      usage("--cluster-init starts a new cluster; it cannot be combined with --server"));
  d.expect_failure({"--role", "agent", "--token-file", tf}, 2,
                   usage("--role agent needs --server URL"));
  d.expect_failure(
      {"--role", "server", "--token-file", tf}, 2,
      usage("--role server needs --cluster-init (a new cluster) or --server URL (join one)"));
  d.expect_failure({"--role", "agent", "--server", "http://a:9345", "--token-file", tf}, 2,
                   usage("option '--server' expects an https:// URL, got 'http://a:9345'"));
  d.expect_failure({"--role", "server", "--cluster-init"}, 2,
                   usage("--role needs --token-file FILE"));

  // Where the image cannot go: a directory, or into a directory that is not there.
  mkdir_p(d.path("adir"));
  r = d.seed({"--user-data", ud, "-o", d.path("adir")});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "kiln: error: write seed image '" + d.path("adir") + "': it is a directory\n");
  CHECK(list_dir(d.path("adir")).empty());
  r = d.seed({"--user-data", ud, "-o", d.path("nodir/seed.img")});
  CHECK(r.exit_code == 4);
  CHECK(r.err == "kiln: error: write seed image '" + d.path("nodir/seed.img") + "': directory '" +
                     d.path("nodir") + "' does not exist\n");
  CHECK_FALSE(path_exists(d.path("nodir")));
}

TEST_CASE("kiln seed: a missing input file is exit 4, named in one line", "[unit]") {
  SeedDir d;
  test::write_text(d.path("user-data"), "#cloud-config\n");
  const std::string missing = d.path("missing");
  d.expect_failure({"--role", "server", "--cluster-init", "--token-file", missing}, 4,
                   "kiln: error: open token file '" + missing + "': No such file or directory");
  d.expect_failure(
      {"--role", "server", "--cluster-init", "--token-file", d.token(), "--ssh-key", missing}, 4,
      "kiln: error: open SSH public key '" + missing + "': No such file or directory");
  d.expect_failure({"--user-data", missing}, 4,
                   "kiln: error: open user-data '" + missing + "': No such file or directory");
  d.expect_failure({"--user-data", d.path("user-data"), "--meta-data", missing}, 4,
                   "kiln: error: open meta-data '" + missing + "': No such file or directory");
  d.expect_failure({"--user-data", d.path("user-data"), "--network-config", missing}, 4,
                   "kiln: error: open network-config '" + missing + "': No such file or directory");
}

TEST_CASE("kiln seed: a bad token or key file is exit 2 and never shows the token", "[unit]") {
  SeedDir d;
  auto server = [&](const std::string& token_file) {
    return std::vector<std::string>{"--role", "server", "--cluster-init", "--token-file",
                                    token_file};
  };
  test::write_text(d.path("empty"), "\n \n");
  d.expect_failure(server(d.path("empty")), 2,
                   "kiln: error: read token file '" + d.path("empty") + "': it is empty");
  test::write_text(d.path("two"), std::string(kToken) + "\nsecond-line\n");
  d.expect_failure(
      server(d.path("two")), 2,
      "kiln: error: read token file '" + d.path("two") + "': expected one token on one line");
  test::write_text(d.path("spaced"), std::string(kToken) + " more\n");
  d.expect_failure(
      server(d.path("spaced")), 2,
      "kiln: error: read token file '" + d.path("spaced") + "': expected one token on one line");
  test::write_text(d.path("nokey.pub"), "# nothing here\n\n");
  auto args = server(d.token());
  args.insert(args.end(), {"--ssh-key", d.path("nokey.pub")});
  d.expect_failure(
      args, 2,
      "kiln: error: read SSH public key '" + d.path("nokey.pub") + "': no key in the file");
  // Each key is parsed as sshd would: a line that is not a key, or whose
  // data is not of the type it names, is refused with its line number.
  test::write_text(d.path("bad.pub"), "not a key\n");
  args = server(d.token());
  args.insert(args.end(), {"--ssh-key", d.path("bad.pub")});
  d.expect_failure(args, 2,
                   "kiln: error: read SSH public key '" + d.path("bad.pub") +
                       "': line 1 is not an OpenSSH public key ([OPTIONS] TYPE BASE64 [COMMENT]): "
                       "it has an unknown key type 'not'");
  test::write_text(d.path("mixed.pub"), "# ops\n" + std::string(kKey) + "\n\nssh-rsa" +
                                            std::string(kKey).substr(11) + "\n");
  args = server(d.token());
  args.insert(args.end(), {"--ssh-key", d.path("key.pub"), "--ssh-key", d.path("mixed.pub")});
  d.expect_failure(args, 2,
                   "kiln: error: read SSH public key '" + d.path("mixed.pub") +
                       "': line 4 is not an OpenSSH public key ([OPTIONS] TYPE BASE64 [COMMENT]): "
                       "it names type 'ssh-rsa' but its key data holds a 'ssh-ed25519' key");
}

TEST_CASE(
    "kiln seed: data kiln-firstboot would reject is exit 2 at its place, unless "
    "--no-validate",
    "[unit]") {
  SeedDir d;
  const std::string ud = d.path("user-data");
  test::write_text(ud, "#cloud-config\nrke2:\n  role: server\n  tokn: abc\n");
  auto r = d.seed({"--user-data", ud, "-o", d.out()});
  CHECK(r.exit_code == 2);
  CHECK(test::first_line(r.err).starts_with("kiln: error: " + ud + ":4:3: "));
  CHECK(test::first_line(r.err).find("'tokn'") != std::string::npos);
  CHECK_FALSE(path_exists(d.out()));

  const std::string nc = d.path("network-config");
  test::write_text(ud, "#cloud-config\nhostname: fine\n");
  test::write_text(nc, "version: 3\n");
  r = d.seed({"--user-data", ud, "--network-config", nc, "-o", d.out()});
  CHECK(r.exit_code == 2);
  CHECK(test::first_line(r.err).starts_with("kiln: error: " + nc + ":1:"));
  CHECK_FALSE(path_exists(d.out()));

  // The user's call: written as it is (that is how a failing node is made).
  r = d.seed({"--user-data", ud, "--network-config", nc, "--no-validate", "-o", d.out()});
  CHECK(r.exit_code == 0);
  CHECK(path_exists(d.out()));
}
