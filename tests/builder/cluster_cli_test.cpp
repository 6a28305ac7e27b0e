// `kiln cluster` usage and input errors: one line each, exit 2 (usage) or 4
// (a missing image, user-data or cluster), and nothing created: no cluster
// directory, no token, no VM. None of these boots anything.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

struct ClusterCli {
  TempDir tmp;
  [[nodiscard]] std::string dir() const { return tmp.path() + "/cluster"; }
  [[nodiscard]] std::string image() const { return tmp.path() + "/disk.raw"; }
  ClusterCli() { test::write_text(image(), std::string(4096, '\0')); }

  // Runs `kiln cluster ARGS` expecting failure with `message` as the only
  // output, and no cluster directory afterwards.
  void expect_failure(const std::vector<std::string>& args, int exit_code,
                      const std::string& message) const {
    std::vector<std::string> argv{test::bin("kiln"), "cluster"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::run_cli(argv);
    INFO(r.err);
    CHECK(r.exit_code == exit_code);
    CHECK(r.err == message + "\n");
    CHECK(r.out.empty());
    CHECK_FALSE(path_exists(dir()));
    CHECK(list_dir(tmp.path()) == std::vector<std::string>{"disk.raw"});
  }
};

std::string usage(const std::string& command, const std::string& message) {
  return "kiln cluster " + command + ": " + message + " (see 'kiln cluster " + command +
         " --help')";
}

}  // namespace

TEST_CASE("kiln cluster: help, and a missing or unknown command", "[unit]") {
  ClusterCli t;
  auto r = test::run_cli({test::bin("kiln"), "cluster", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  up      Boot servers and agents") != std::string::npos);
  CHECK(r.out.find("  down    Power the nodes off") != std::string::npos);
  r = test::run_cli({test::bin("kiln"), "cluster", "up", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.starts_with("Usage: kiln cluster up --image IMAGE"));
  t.expect_failure({}, 2,
                   "kiln cluster: no command given (up, status or down; see 'kiln cluster "
                   "--help')");
  t.expect_failure({"dwn"}, 2,
                   "kiln cluster: unknown command 'dwn'; did you mean 'down'? (see 'kiln cluster "
                   "--help')");
  t.expect_failure({"start"}, 2,
                   "kiln cluster: unknown command 'start' (see 'kiln cluster --help')");
}

TEST_CASE("kiln cluster up: usage errors are one line, exit 2, and start nothing", "[unit]") {
  ClusterCli t;
  const std::string img = t.image();
  const std::string dir = t.dir();
  t.expect_failure({"up", "--dir", dir}, 2,
                   usage("up", "missing option '--image' (a disk from 'kiln build')"));
  t.expect_failure({"up", "--image", img, "--dir", dir, "--name", "a"}, 2,
                   usage("up", "give --name or --dir, not both"));
  t.expect_failure({"up", "--image", img, "--name", "Big"}, 2,
                   usage("up",
                         "option '--name' expects lower-case letters, digits and '-', got "
                         "'Big'"));
  t.expect_failure({"up", "--image", img, "--dir", dir, "--node", "bad"}, 2,
                   usage("up", "option '--node' expects NAME=USER-DATA-FILE, got 'bad'"));
  t.expect_failure({"up", "--image", img, "--dir", dir, "--accel", "xen"}, 2,
                   usage("up", "option '--accel' expects auto, kvm or tcg, got 'xen'"));
  t.expect_failure({"up", "--image", img, "--dir", dir, "--frobnicate"}, 2,
                   usage("up", "unknown option '--frobnicate'"));
  t.expect_failure({"up", "--image", img, "--dir", dir, "--servers", "51"}, 2,
                   usage("up", "option '--servers' expects an integer from 0 to 50, got '51'"));
  // The node plan is checked before anything is made.
  t.expect_failure({"up", "--image", img, "--dir", dir, "--accel", "tcg", "--servers", "0"}, 2,
                   usage("up", "no nodes: give --servers, --agents or --node"));
  t.expect_failure(
      {"up", "--image", img, "--dir", dir, "--accel", "tcg", "--servers", "0", "--agents", "1"}, 2,
      usage("up", "--agents needs at least one server to join (--servers 1 or more)"));
  t.expect_failure(
      {"up", "--image", img, "--dir", dir, "--accel", "tcg", "--node", "x=a", "--node", "x=b"}, 2,
      usage("up", "node name 'x' is used twice"));
}

TEST_CASE("kiln cluster up: a missing image or --node user-data is exit 4 and starts nothing",
          "[unit]") {
  ClusterCli t;
  const std::string missing = t.tmp.path() + "/missing";
  t.expect_failure({"up", "--image", missing, "--dir", t.dir(), "--accel", "tcg"}, 4,
                   "kiln: error: open image '" + missing + "': No such file or directory");
  t.expect_failure(
      {"up", "--image", t.image(), "--dir", t.dir(), "--accel", "tcg", "--node", "bad=" + missing},
      4, "kiln: error: open user-data '" + missing + "' of node 'bad': No such file or directory");
}

TEST_CASE("kiln cluster status and down: a directory without a cluster is exit 4", "[unit]") {
  ClusterCli t;
  for (const std::string command : {"status", "down"}) {
    t.expect_failure({command, "--dir", t.dir()}, 4,
                     "kiln: error: open cluster '" + t.dir() +
                         "': no cluster.json (start one with 'kiln cluster up', or pass --dir)");
    t.expect_failure({command, "--dir", t.dir(), "--name", "x"}, 2,
                     usage(command, "give --name or --dir, not both"));
  }
  t.expect_failure({"down", "--dir", t.dir(), "--timeout", "0"}, 2,
                   usage("down", "option '--timeout' expects an integer from 1 to 3600, got '0'"));
}
