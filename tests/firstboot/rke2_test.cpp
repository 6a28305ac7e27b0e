// The rke2 section: validation rules, the profile table, and the files it
// becomes.
#include <catch2/catch.hpp>

#include "firstboot/plan.hpp"
#include "firstboot/rke2_profile.hpp"
#include "firstboot/rke2_render.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

Plan plan_for(const std::string& rke2_yaml, const TargetFacts& facts = {}) {
  SeedData s;
  s.user_data = {"ud", "#cloud-config\nrke2:\n" + rke2_yaml};
  s.meta_data = SeedFile{"md", "instance-id: i-1\n"};
  return build_plan(s, facts);
}

std::vector<std::string> errors(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& d : p.errors()) out.push_back(d.str());
  return out;
}

TargetFacts image_with(const std::string& version) {
  TargetFacts f;
  f.image_json_found = true;
  f.image_has_rke2 = true;
  f.rke2_version = version;
  return f;
}

}  // namespace

TEST_CASE("RKE2 versions parse and map to the profiles each release accepts", "[unit]") {
  auto v = parse_rke2_version("v1.28.3+rke2r1");
  REQUIRE(v);
  CHECK(v->major == 1);
  CHECK(v->minor == 28);
  CHECK(v->patch == 3);
  CHECK_FALSE(parse_rke2_version("latest"));
  CHECK_FALSE(parse_rke2_version("v1"));
  auto profiles = [](const std::string& s) { return accepted_profiles(*parse_rke2_version(s)); };
  CHECK(profiles("v1.22.9+rke2r1") == std::vector<std::string>{"cis-1.5", "cis-1.6"});
  CHECK(profiles("v1.24.4+rke2r1") == std::vector<std::string>{"cis-1.5", "cis-1.6", "cis-1.23"});
  CHECK(profiles("v1.25.14+rke2r1") == std::vector<std::string>{"cis-1.23"});
  CHECK(profiles("v1.25.15+rke2r1") == std::vector<std::string>{"cis", "cis-1.23"});
  CHECK(profiles("v1.28.2+rke2r1") == std::vector<std::string>{"cis-1.23"});
  CHECK(profiles("v1.28.3+rke2r1") == std::vector<std::string>{"cis", "cis-1.23"});
  CHECK(profiles("v1.29.0+rke2r1") == std::vector<std::string>{"cis", "cis-1.23"});
  CHECK(profiles("v1.30.0+rke2r1") == std::vector<std::string>{"cis"});
  CHECK(profiles("v1.33.1+rke2r1") == std::vector<std::string>{"cis"});
}

TEST_CASE("the profile is checked against the image's RKE2 version", "[unit]") {
  CHECK(plan_for("  role: server\n  cluster-init: true\n  profile: cis\n",
                 image_with("v1.30.5+rke2r1"))
            .valid());
  CHECK(
      errors(plan_for("  role: server\n  cluster-init: true\n  profile: cis-1.6\n",
                      image_with("v1.30.5+rke2r1"))) ==
      std::vector<std::string>{
          "ud:5:12: rke2.profile 'cis-1.6' is not accepted by RKE2 v1.30.5+rke2r1 (valid: 'cis')"});
  CHECK(plan_for("  role: server\n  cluster-init: true\n  profile: cis-1.6\n",
                 image_with("v1.22.1+rke2r1"))
            .valid());
  // Without an image to ask, any profile some release accepted passes.
  CHECK(plan_for("  role: server\n  cluster-init: true\n  profile: cis-1.5\n").valid());
  CHECK(errors(plan_for("  role: server\n  cluster-init: true\n  profile: hardened\n")) ==
        std::vector<std::string>{"ud:5:12: rke2.profile 'hardened' is not accepted by any RKE2 "
                                 "release (valid: 'cis', 'cis-1.23', 'cis-1.6', 'cis-1.5')"});
}

TEST_CASE("an rke2 section on an image without RKE2 is an error", "[unit]") {
  TargetFacts f;
  f.image_json_found = true;
  CHECK(errors(plan_for("  role: server\n  cluster-init: true\n", f)) ==
        std::vector<std::string>{
            "ud:3:3: rke2: this image has no RKE2 (its /usr/lib/kiln/image.json lists none)"});
}

TEST_CASE("role rules: joining nodes need a server URL and a token", "[unit]") {
  CHECK(plan_for("  role: server\n  cluster-init: true\n").valid());
  CHECK(plan_for("  role: server\n  server: https://10.0.0.1:9345\n  token: K10x\n").valid());
  CHECK(plan_for("  role: agent\n  server: https://10.0.0.1:9345\n  token-file: /etc/t\n").valid());
  CHECK(errors(plan_for("  role: server\n  server: https://10.0.0.1:9345\n")) ==
        std::vector<std::string>{
            "ud:3:3: rke2: a joining server needs rke2.token or rke2.token-file"});
  CHECK(errors(plan_for(
            "  role: agent\n  cluster-init: true\n  server: https://a:9345\n  token: x\n")) ==
        std::vector<std::string>{"ud:3:3: rke2.cluster-init is only valid for role server"});
  CHECK(errors(plan_for("  role: server\n  cluster-init: true\n  server: https://a:9345\n")) ==
        std::vector<std::string>{"ud:3:3: rke2.cluster-init starts a new cluster and cannot be "
                                 "combined with rke2.server"});
  CHECK(errors(plan_for("  role: agent\n  server: http://a:9345\n  token: x\n")) ==
        std::vector<std::string>{"ud:4:11: rke2.server must be an https:// URL such as "
                                 "https://10.0.0.1:9345, got 'http://a:9345'"});
  CHECK(errors(plan_for("  role: agent\n  server: https://a:9345\n  token-file: etc/t\n")) ==
        std::vector<std::string>{"ud:5:15: rke2.token-file must be an absolute path, got 'etc/t'"});
}

TEST_CASE("the config drop-in carries every typed key, a token-file and the passthrough as written",
          "[unit]") {
  Plan p = plan_for(R"(  role: server
  cluster-init: true
  token: K10secret
  node-name: cp-1
  node-label: [a=b, "c=d"]
  node-taint: "k=v:NoSchedule"
  tls-san: [cp.example.com]
  cni: [multus, canal]
  profile: cis
  selinux: true
  system-default-registry: reg.local:5000
  config:
    write-kubeconfig-mode: "0600"
    etcd-snapshot-retention: 10
    kube-apiserver-arg:
      - audit-log-maxage=30
    disable: ~
)");
  REQUIRE(p.valid());
  std::string out = render_rke2_config(*p.config.rke2);
  CHECK(out == R"(# Written by kiln-firstboot from the rke2 section of cloud-config (role server).
cluster-init: true
token-file: "/etc/rancher/rke2/kiln-token"
node-name: "cp-1"
node-label:
  - "a=b"
  - "c=d"
node-taint:
  - "k=v:NoSchedule"
tls-san:
  - "cp.example.com"
cni:
  - "multus"
  - "canal"
profile: "cis"
selinux: true
system-default-registry: "reg.local:5000"
write-kubeconfig-mode: "0600"
etcd-snapshot-retention: 10
kube-apiserver-arg:
  - audit-log-maxage=30
disable: ~
)");
  CHECK(out.find("K10secret") == std::string::npos);
  CHECK(p.config.rke2->unit() == "rke2-server.service");
}

TEST_CASE("an agent with its own token-file points RKE2 at it", "[unit]") {
  Plan p = plan_for("  role: agent\n  server: https://10.0.0.1:9345\n  token-file: /etc/join\n");
  REQUIRE(p.valid());
  CHECK(render_rke2_config(*p.config.rke2) ==
        "# Written by kiln-firstboot from the rke2 section of cloud-config (role agent).\n"
        "server: \"https://10.0.0.1:9345\"\ntoken-file: \"/etc/join\"\n");
  CHECK(p.config.rke2->unit() == "rke2-agent.service");
}

TEST_CASE("registries merge into the image's registries.yaml", "[unit]") {
  Plan p = plan_for(R"(  role: server
  cluster-init: true
  registries:
    mirrors:
      docker.io:
        endpoint: ["https://mirror.local"]
    configs:
      mirror.local:
        auth: {username: u, password: p}
        tls: {insecure_skip_verify: true}
)");
  REQUIRE(p.valid());
  std::string existing =
      "mirrors:\n  quay.io:\n    endpoint: [\"https://airgap.local\"]\n  docker.io:\n    endpoint: "
      "[\"https://old\"]\n";
  std::string out = render_registries(*p.config.rke2, existing, "registries.yaml");
  YAML::Node y = YAML::Load(out);
  CHECK(y["mirrors"]["quay.io"]["endpoint"][0].as<std::string>() == "https://airgap.local");
  CHECK(y["mirrors"]["docker.io"]["endpoint"].size() == 1);
  CHECK(y["mirrors"]["docker.io"]["endpoint"][0].as<std::string>() == "https://mirror.local");
  CHECK(y["configs"]["mirror.local"]["auth"]["password"].as<std::string>() == "p");
  CHECK(y["configs"]["mirror.local"]["tls"]["insecure_skip_verify"].as<bool>());
  CHECK_THROWS_WITH(render_registries(*p.config.rke2, std::string("- a\n"), "/r/registries.yaml"),
                    "read '/r/registries.yaml': not a YAML mapping");
}
