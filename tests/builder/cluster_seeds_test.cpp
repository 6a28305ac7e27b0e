// What each cluster node boots with: the join token (CSPRNG, 0600, never in
// a message) and a per-node seed: cluster-init on the first server, the
// server's URL and the token everywhere else, a static address through
// network-config; a --node's user-data as the user wrote it. Every
// generated seed passes kiln-firstboot's validator.
#include "builder/cluster_seeds.hpp"

#include <set>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

namespace {

Cluster three_node_cluster(const std::string& dir, const std::string& custom_file = "/none") {
  Cluster c;
  c.name = "t";
  c.dir = dir;
  c.network = network_for(dir);
  c.nodes = plan_nodes(NodeCounts{2, 1, 1024, 1, {{"bad", custom_file}}}, c.network);
  return c;
}

}  // namespace

TEST_CASE("cluster token: 256 random bits as hex, 0600, new each time", "[unit]") {
  TempDir tmp;
  const std::string token = create_cluster_token(tmp.path());
  CHECK(token.size() == 64);
  CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
  struct stat st {};
  REQUIRE(::stat((tmp.path() + "/token").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777U) == 0600);
  CHECK(read_file(tmp.path() + "/token") == token + "\n");
  CHECK(read_cluster_token(tmp.path()) == token);
  std::set<std::string> seen{token};
  for (int i = 0; i < 5; ++i) CHECK(seen.insert(create_cluster_token(tmp.path())).second);

  TempDir none;
  CHECK_THROWS_WITH(read_cluster_token(none.path()),
                    "open cluster token '" + none.path() +
                        "/token': No such file or directory (is the cluster up?)");
}

TEST_CASE("cluster seeds: the first server starts the cluster, the others join it", "[unit]") {
  TempDir tmp;
  const Cluster c = three_node_cluster(tmp.path());
  const std::string token = "0123abcd";
  for (size_t i = 0; i < 3; ++i) {
    const ClusterNode& node = c.nodes[i];
    INFO(node.name);
    NodeSeedData seed = node_seed(c, node, token);
    firstboot::SeedCheck check = check_seed_files(seed.files, seed.names);
    for (const auto& e : check.errors) FAIL_CHECK(e.str());
    for (const auto& w : check.warnings) FAIL_CHECK(w.str());

    YAML::Node ud = YAML::Load(seed.files.user_data);
    CHECK(seed.files.user_data.starts_with("#cloud-config\n"));
    CHECK(ud["rke2"]["role"].as<std::string>() == node.role);
    CHECK(ud["rke2"]["token"].as<std::string>() == token);
    CHECK(ud["rke2"]["node-name"].as<std::string>() == node.name);
    CHECK(ud["rke2"]["config"]["node-ip"].as<std::string>() == node.address);
    // kiln-firstboot itself enables and restarts networkd for the
    // network-config: the seed needs no commands.
    CHECK_FALSE(ud["bootcmd"]);
    if (i == 0) {
      CHECK(ud["rke2"]["cluster-init"].as<bool>());
      CHECK_FALSE(ud["rke2"]["server"]);
    } else {
      CHECK_FALSE(ud["rke2"]["cluster-init"]);
      CHECK(ud["rke2"]["server"].as<std::string>() == "https://10.77.0.11:9345");
    }
    if (node.role == "server") {
      CHECK(ud["rke2"]["tls-san"][0].as<std::string>() == node.address);
    }

    YAML::Node nc = YAML::Load(*seed.files.network_config);
    CHECK(nc["version"].as<int>() == 2);
    YAML::Node nic = nc["ethernets"]["cluster0"];
    CHECK(nic["match"]["macaddress"].as<std::string>() == node.mac);
    CHECK(nic["addresses"][0].as<std::string>() == node.address + "/24");
    // No gateway, no routes, no DNS: nothing leads off the cluster's segment.
    CHECK(nic.size() == 2);

    YAML::Node md = YAML::Load(seed.files.meta_data);
    CHECK(md["local-hostname"].as<std::string>() == node.name);
    CHECK(md["instance-id"].as<std::string>().starts_with("iid-"));
    CHECK(seed.names.user_data == "node '" + node.name + "' generated user-data");
  }
  // Different nodes, different instances; a new token, new instances.
  CHECK(node_seed(c, c.nodes[0], token).files.meta_data !=
        node_seed(c, c.nodes[1], token).files.meta_data);
  CHECK(node_seed(c, c.nodes[0], token).files.meta_data !=
        node_seed(c, c.nodes[0], "ffff").files.meta_data);
}

TEST_CASE("cluster seeds: a --node boots the user's user-data as it is, invalid or not", "[unit]") {
  TempDir tmp;
  const std::string file = tmp.path() + "/bad.yaml";
  const std::string user_data = "#cloud-config\nrke2:\n  role: agent\n  bogus-key: 1\n";
  test::write_text(file, user_data);
  const Cluster c = three_node_cluster(tmp.path(), file);
  NodeSeedData seed = node_seed(c, c.nodes[3], "0123abcd");
  CHECK(seed.files.user_data == user_data);
  CHECK(seed.names.user_data == file);
  CHECK(YAML::Load(*seed.files.network_config)["ethernets"]["cluster0"]["addresses"][0]
            .as<std::string>() == "10.77.0.14/24");
  CHECK(YAML::Load(seed.files.meta_data)["local-hostname"].as<std::string>() == "bad");
  // kiln-firstboot's check names the user's file and the place.
  firstboot::SeedCheck check = check_seed_files(seed.files, seed.names);
  REQUIRE_FALSE(check.ok());
  CHECK(check.errors.front().str().starts_with(file + ":4:3: "));
  CHECK_THROWS_WITH(throw_if_invalid(check), check.errors.front().str());

  std::remove(file.c_str());
  CHECK_THROWS_WITH(node_seed(c, c.nodes[3], "0123abcd"),
                    "open user-data '" + file + "' of node 'bad': No such file or directory");
}
