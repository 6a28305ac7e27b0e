// A kiln cluster's plan and state directory: node names, deterministic
// addresses and MACs, a private multicast segment per directory, and
// cluster.json written and read back (with its errors).
#include "builder/cluster_layout.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

std::string usage(const std::string& message) {
  return "kiln cluster up: " + message + " (see 'kiln cluster up --help')";
}

std::vector<std::string> names(const std::vector<ClusterNode>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.name + "/" + n.role);
  return out;
}

}  // namespace

TEST_CASE("cluster plan: servers, agents, then --node nodes, each with its own address and MAC",
          "[unit]") {
  const ClusterNetwork net = network_for("/srv/clusters/a");
  NodeCounts counts;
  counts.servers = 2;
  counts.agents = 1;
  counts.memory_mib = 1024;
  counts.cpus = 1;
  counts.custom = {{"bad", "bad.yaml"}};
  auto nodes = plan_nodes(counts, net);
  CHECK(names(nodes) == std::vector<std::string>{"server-1/server", "server-2/server",
                                                 "agent-1/agent", "bad/custom"});
  for (size_t i = 0; i < nodes.size(); ++i) {
    CHECK(nodes[i].address == "10.77.0." + std::to_string(11 + i));
    CHECK(nodes[i].mac.starts_with("52:54:00:6b:"));
    CHECK(nodes[i].mac.size() == 17);
    CHECK(nodes[i].memory_mib == 1024);
    CHECK(nodes[i].cpus == 1);
  }
  CHECK(nodes[0].mac != nodes[1].mac);
  CHECK(nodes[3].mac.ends_with(":04"));
  CHECK(nodes[0].user_data_file.empty());
  CHECK(nodes[3].user_data_file == absolute_path("bad.yaml"));
  // The same plan again gives the same nodes.
  CHECK(names(plan_nodes(counts, net)) == names(nodes));
  CHECK(plan_nodes(counts, net)[2].mac == nodes[2].mac);

  Cluster c;
  c.nodes = nodes;
  CHECK(server_url(c) == "https://10.77.0.11:9345");
  c.nodes = plan_nodes(NodeCounts{0, 0, 512, 1, {{"solo", "x"}}}, net);
  CHECK_FALSE(server_url(c));
}

TEST_CASE("cluster plan: each directory gets its own multicast segment, always the same one",
          "[unit]") {
  const ClusterNetwork a = network_for("/srv/clusters/a");
  const ClusterNetwork b = network_for("/srv/clusters/b");
  CHECK(a.group.starts_with("230.77."));
  CHECK(a.port >= 20000);
  CHECK(a.port < 60000);
  CHECK(a.subnet == "10.77.0.0/24");
  CHECK(a.prefix_len == 24);
  CHECK((a.group != b.group || a.port != b.port));
  CHECK(network_for("/srv/clusters/a").group == a.group);
  CHECK(network_for("/srv/clusters/a").port == a.port);
  CHECK(default_cluster_dir("demo") == absolute_path(".kiln-cluster/demo"));
}

TEST_CASE("cluster plan: bad node sets are usage errors", "[unit]") {
  const ClusterNetwork net = network_for("/c");
  auto fails = [&](NodeCounts counts, const std::string& message) {
    CHECK_THROWS_WITH(plan_nodes(counts, net), usage(message));
    try {
      plan_nodes(counts, net);
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
    }
  };
  fails(NodeCounts{0, 2, 512, 1, {}},
        "--agents needs at least one server to join (--servers 1 or more)");
  fails(NodeCounts{0, 0, 512, 1, {}}, "no nodes: give --servers, --agents or --node");
  fails(NodeCounts{1, 0, 512, 1, {{"Bad_Name", "x"}}},
        "option '--node' expects NAME=USER-DATA-FILE with NAME of lower-case letters, digits and "
        "'-' (at most 32), got 'Bad_Name'");
  fails(NodeCounts{1, 0, 512, 1, {{"-x", "f"}}},
        "option '--node' expects NAME=USER-DATA-FILE with NAME of lower-case letters, digits and "
        "'-' (at most 32), got '-x'");
  fails(NodeCounts{1, 0, 512, 1, {{"server-1", "x"}}}, "node name 'server-1' is used twice");
  fails(NodeCounts{1, 0, 512, 1, {{"a", "x"}, {"a", "y"}}}, "node name 'a' is used twice");
  fails(NodeCounts{1, 0, 512, 1, {{"a", ""}}}, "option '--node a=' needs a user-data file");
  fails(NodeCounts{50, 151, 512, 1, {}}, "at most 200 nodes fit the private network");
}

TEST_CASE("cluster.json round-trips, holds no secret, and a missing or broken one is an error",
          "[unit]") {
  TempDir tmp;
  Cluster c;
  c.name = "t";
  c.dir = tmp.path();
  c.image = "/images/disk.qcow2";
  c.image_format = "qcow2";
  c.accel = "tcg";
  c.network = network_for(tmp.path());
  c.nodes = plan_nodes(NodeCounts{1, 1, 768, 2, {{"bad", "/x/bad.yaml"}}}, c.network);
  c.state = "up";
  save_cluster(c);
  Cluster back = load_cluster(tmp.path());
  CHECK(back.name == "t");
  CHECK(back.dir == tmp.path());
  CHECK(back.image == c.image);
  CHECK(back.image_format == "qcow2");
  CHECK(back.accel == "tcg");
  CHECK(back.network.group == c.network.group);
  CHECK(back.network.port == c.network.port);
  CHECK(back.state == "up");
  REQUIRE(back.nodes.size() == 3);
  CHECK(back.nodes[2].name == "bad");
  CHECK(back.nodes[2].role == "custom");
  CHECK(back.nodes[2].user_data_file == "/x/bad.yaml");
  CHECK(back.nodes[1].mac == c.nodes[1].mac);
  CHECK(back.nodes[1].memory_mib == 768);
  auto doc = nlohmann::json::parse(read_file(tmp.path() + "/cluster.json"));
  CHECK_FALSE(doc.contains("token"));

  NodePaths p = node_paths(back, back.nodes[0]);
  CHECK(p.dir == tmp.path() + "/nodes/server-1");
  CHECK(p.disk == p.dir + "/disk.qcow2");
  CHECK(p.seed == p.dir + "/seed.img");
  CHECK(p.console == p.dir + "/console.log");
  CHECK(p.qmp == "qmp.sock");  // relative: QEMU runs in p.dir
  CHECK(p.status == "status.sock");

  TempDir empty;
  CHECK_THROWS_WITH(load_cluster(empty.path()),
                    "open cluster '" + empty.path() +
                        "': no cluster.json (start one with 'kiln cluster up', or pass --dir)");
  test::write_text(empty.path() + "/cluster.json", "{\"name\": \"x\"}");
  CHECK_THROWS_WITH(
      load_cluster(empty.path()),
      Catch::Matchers::StartsWith("read cluster '" + empty.path() + "/cluster.json': "));
  auto bad_name = doc;
  bad_name["nodes"][0]["name"] = "../../etc";
  test::write_text(empty.path() + "/cluster.json", bad_name.dump());
  CHECK_THROWS_WITH(load_cluster(empty.path()),
                    "read cluster '" + empty.path() + "/cluster.json': bad node name '../../etc'");
}
