#include <catch2/catch.hpp>

#include "util/diagnostics.hpp"
#include "util/error.hpp"
#include "util/yaml_reader.hpp"

using namespace kiln;

TEST_CASE("strict maps report duplicates, unknown keys with hints, and wrong types", "[unit]") {
  Diagnostics d("f.yaml");
  auto root = parse_yaml("name: a\nversoin: 1\nname: b\ncount: many\nflag: yes\nlist: [a, {b: 1}]\n", d);
  REQUIRE(root);
  {
    StrictMap m(*root, d, "the file");
    CHECK(read_string(m.get("name"), d, "name") == "a");
    (void)m.get("version");
    CHECK_FALSE(read_int(m.get("count"), d, "count").has_value());
    CHECK_FALSE(read_bool(m.get("flag"), d, "flag").has_value());
    CHECK_FALSE(read_string_list(m.get("list"), d, "list").has_value());
  }
  std::vector<std::string> msgs;
  for (const auto& e : d.errors()) msgs.push_back(e.str());
  CHECK(msgs == std::vector<std::string>{
                    "f.yaml:2:1: unknown key 'versoin' in the file; did you mean 'version'?",
                    "f.yaml:3:1: duplicate key 'name' in the file",
                    "f.yaml:4:8: count must be an integer, got 'many'",
                    "f.yaml:5:7: flag must be true or false, got 'yes'",
                    "f.yaml:6:11: list entries must be strings, got a mapping",
                });
}

TEST_CASE("YAML 1.1 booleans are accepted when asked for", "[unit]") {
  Diagnostics d("f.yaml");
  auto root = parse_yaml("a: yes\nb: Off\n", d);
  CHECK(read_bool((*root)["a"], d, "a", BoolSyntax::Yaml11) == true);
  CHECK(read_bool((*root)["b"], d, "b", BoolSyntax::Yaml11) == false);
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("syntax errors carry a position", "[unit]") {
  Diagnostics d("bad.yaml");
  CHECK_FALSE(parse_yaml("a: [1, 2\nb: c\n", d).has_value());
  REQUIRE(d.errors().size() == 1);
  CHECK(d.errors()[0].str().starts_with("bad.yaml:"));
  CHECK(d.errors()[0].message.starts_with("invalid YAML: "));
}

TEST_CASE("missing required keys and non-mappings are reported at the node", "[unit]") {
  Diagnostics d("f.yaml");
  auto root = parse_yaml("outer:\n  inner: 1\nlist: [1]\n", d);
  {
    StrictMap outer((*root)["outer"], d, "outer");
    (void)outer.get("inner");
    (void)outer.require("needed");
    StrictMap bad((*root)["list"], d, "list");
    CHECK_FALSE(bad.ok());
  }
  auto errs = d.errors();
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].str() == "f.yaml:2:3: outer is missing required key 'needed'");
  CHECK(errs[1].str() == "f.yaml:3:7: list must be a mapping, got a sequence");
}

TEST_CASE("throw_if_errors puts the first error in the message and the rest in detail", "[unit]") {
  Diagnostics d("s.yaml");
  d.error(3, 1, "second");
  d.error(1, 2, "first");
  d.warning(2, 1, "just a warning");
  try {
    d.throw_if_errors(2);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "s.yaml:1:2: first");
    CHECK(e.detail() == "s.yaml:3:1: second\n");
    CHECK(e.exit_code() == 2);
  }
}
