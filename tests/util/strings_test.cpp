#include "util/strings.hpp"

#include <catch2/catch.hpp>

using namespace kiln;

TEST_CASE("string helpers", "[unit]") {
  CHECK(split("a,b,,c", ',') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(join({"a", "b"}, ", ") == "a, b");
  CHECK(trim("  x y \n") == "x y");
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(closest_match("qcow", {"raw", "qcow2", "iso"}) == "qcow2");
  CHECK(closest_match("zzzzzz", {"raw", "qcow2"}).empty());
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(1536) == "1.5 KiB");
  CHECK(human_duration_ms(850) == "850 ms");
  CHECK(human_duration_ms(12300) == "12.3 s");
  CHECK(human_duration_ms(125000) == "2 min 05 s");
}

TEST_CASE("ASCII case folding ignores the locale and leaves other bytes alone", "[unit]") {
  CHECK(ascii_lower("USER-Data.TXT") == "user-data.txt");
  CHECK(ascii_lower("\xc3\x89t\xc3\xa9") == "\xc3\x89t\xc3\xa9");  // UTF-8 "Été" unchanged
  CHECK(ascii_lower('Q') == 'q');
  CHECK(ascii_lower('@') == '@');
  CHECK(iequals_ascii("META-DATA", "meta-data"));
  CHECK_FALSE(iequals_ascii("meta-data", "meta-dat"));
  CHECK_FALSE(iequals_ascii("\xc3\x89", "\xc3\xa9"));
}

TEST_CASE("abbreviate keeps short text and shortens long text to one bounded line", "[unit]") {
  CHECK(abbreviate("short") == "short");
  CHECK(abbreviate(std::string(80, 'a')) == std::string(80, 'a'));
  std::string long_text(1000, 'b');
  CHECK(abbreviate(long_text) == std::string(64, 'b') + "... (1000 bytes)");
  CHECK(abbreviate(long_text).size() == 80);
  CHECK(abbreviate(long_text, 30) == std::string(14, 'b') + "... (1000 bytes)");
  // Never cuts a UTF-8 sequence: "é" is two bytes.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
  std::string cut = abbreviate(accents, 30);
  CHECK(cut == accents.substr(0, 14) + "... (200 bytes)");
  CHECK(abbreviate("", 0).empty());
}
