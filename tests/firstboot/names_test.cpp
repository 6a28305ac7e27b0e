// firstboot/names: the syntax checks for names that reach system files and
// the RKE2 configuration. Kubernetes' rules for labels and taints are the
// ones its API server and kubelet apply; the agent applies them first, so a
// bad entry fails the first boot instead of the node's registration.
#include "firstboot/names.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace kiln::firstboot;

TEST_CASE("label keys are qualified names with an optional DNS prefix", "[unit]") {
  for (const char* ok : {"tier", "a", "node-role.kubernetes.io/worker", "example.com/Zone_1.b",
                         "x.y-z/A", "CriticalAddonsOnly"}) {
    INFO(ok);
    CHECK(check_label_key(ok).empty());
  }
  CHECK(check_label_key(std::string(63, 'k')).empty());
  CHECK(check_label_key(std::string(64, 'k')) == "has a key name longer than 63 characters");
  // A prefix is a DNS name: labels of at most 63, 253 in all.
  const std::string label(63, 'p');
  const std::string prefix_253 = label + "." + label + "." + label + "." + std::string(61, 'p');
  CHECK(check_label_key(prefix_253 + "/n").empty());
  CHECK(check_label_key(prefix_253 + "p/n") ==
        "has a key prefix that is longer than 253 characters");
  CHECK(check_label_key(std::string(64, 'p') + ".io/n") ==
        "has a key prefix that has a label longer than 63 characters");
  CHECK(check_label_key("/name") == "has an empty key prefix");
  CHECK(check_label_key("example.com/") == "has an empty key name");
  CHECK(check_label_key("a/b/c") == "has a key with more than one '/'");
  CHECK(check_label_key("a..b/c") == "has a key prefix that has an empty label");
  CHECK(check_label_key("-a.b/c") ==
        "has a key prefix that has a label starting or ending with '-'");
  CHECK(check_label_key("Ex.com/c") ==
        "has a key prefix with capital letters (it must be lowercase)");
  CHECK(check_label_key("ex_a.com/c") ==
        "has a key prefix that may only hold letters, digits, '-' and '.'");
  CHECK(check_label_key("_c") ==
        "has a key name that does not start and end with a letter or digit");
  CHECK(check_label_key("c.") ==
        "has a key name that does not start and end with a letter or digit");
  CHECK(check_label_key("a b") ==
        "has a key name with a character other than letters, digits, '-', '_' and '.'");
  CHECK(check_label_key("a\nb") ==
        "has a key name with a character other than letters, digits, '-', '_' and '.'");
}

TEST_CASE("label values are empty or name-like, at most 63 characters", "[unit]") {
  CHECK(check_label_value("").empty());
  CHECK(check_label_value("us-east-1a").empty());
  CHECK(check_label_value(std::string(63, 'v')).empty());
  CHECK(check_label_value(std::string(64, 'v')) == "has a value longer than 63 characters");
  CHECK(check_label_value("v-") ==
        "has a value that does not start and end with a letter or digit");
  CHECK(check_label_value("a:b") ==
        "has a value with a character other than letters, digits, '-', '_' and '.'");
  CHECK(check_label("tier=web").empty());
  CHECK(check_label("tier=").empty());
  CHECK(check_label("tier") == "has no '=' (the form is KEY=VALUE)");
  CHECK(check_label("=web") == "has no key");
  CHECK(check_label("tier=a=b") ==
        "has a value with a character other than letters, digits, '-', '_' and '.'");
}

TEST_CASE("taints are KEY[=VALUE]:EFFECT with Kubernetes' three effects", "[unit]") {
  for (const char* ok :
       {"CriticalAddonsOnly=true:NoExecute", "dedicated:NoSchedule",
        "node-role.kubernetes.io/control-plane:PreferNoSchedule", "k=:NoSchedule"}) {
    INFO(ok);
    CHECK(check_taint(ok).empty());
  }
  CHECK(check_taint("dedicated") == "has no :EFFECT (the form is KEY[=VALUE]:EFFECT)");
  CHECK(check_taint("k=v:NoScheduleEver") ==
        "has the effect 'NoScheduleEver', not NoSchedule, PreferNoSchedule or NoExecute");
  CHECK(check_taint("k=v:") == "has the effect '', not NoSchedule, PreferNoSchedule or NoExecute");
  CHECK(check_taint(":NoSchedule") == "has no key");
  CHECK(check_taint("=v:NoSchedule") == "has no key");
  CHECK(check_taint("k=v w:NoSchedule") ==
        "has a value with a character other than letters, digits, '-', '_' and '.'");
  // A key far beyond any limit is rejected by its length, at once.
  CHECK(check_taint(std::string(1 << 20, 'k') + ":NoSchedule") ==
        "has a key name longer than 63 characters");
}
