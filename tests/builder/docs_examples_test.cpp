// What the docs promise, the code does: every fenced block in README.md and
// docs/*.md carries a marker on the line before it (docs/testing.md, "Docs
// examples") saying how it is checked, and each is checked here: specs
// through `kiln validate`, cloud-config and network-config through
// `kiln-firstboot validate`, overlay manifests through their parser, JSON
// through a JSON parser, command synopses against `--help`, and runnable
// commands by running them. A block without a marker fails, so new docs
// cannot drift unchecked. The exit codes docs/cli.md lists are compared
// with each command's --help.
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/overlay_manifest.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

namespace {

struct Example {
  std::string where;  // FILE:LINE of the opening fence
  std::string kind;   // from the marker; "" when there is none
  std::string args;   // the rest of the marker
  std::string text;   // the block, its fence's indentation removed
};

// "<!-- example: KIND ARGS -->" -> {KIND, ARGS}; nullopt when not a marker.
std::optional<std::pair<std::string, std::string>> parse_marker(std::string_view line) {
  static const std::regex re(R"(^\s*<!-- example: ([a-z-]+)(?: (.*?))? -->\s*$)");
  std::cmatch m;
  if (!std::regex_match(line.begin(), line.end(), m, re)) return std::nullopt;
  return std::pair{m[1].str(), m[2].str()};
}

std::vector<Example> examples_of(const std::string& path, const std::string& shown) {
  std::vector<Example> out;
  const auto lines = split(read_file(path), '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    size_t indent = l.find_first_not_of(' ');
    if (indent == std::string_view::npos || !l.substr(indent).starts_with("```")) continue;
    Example e;
    e.where = shown + ":" + std::to_string(i + 1);
    if (i > 0) {
      if (auto m = parse_marker(lines[i - 1])) std::tie(e.kind, e.args) = *m;
    }
    size_t end = i + 1;
    for (; end < lines.size(); ++end) {
      std::string_view c = lines[end];
      if (c.find_first_not_of(' ') == indent && c.substr(indent).starts_with("```")) break;
      e.text += std::string(c.size() >= indent ? c.substr(indent) : trim(c)) + "\n";
    }
    REQUIRE(end < lines.size());  // an unclosed fence
    out.push_back(std::move(e));
    i = end;
  }
  return out;
}

std::vector<Example> all_examples() {
  const std::string src = test::source_dir();
  std::vector<Example> out = examples_of(src + "/README.md", "README.md");
  for (const auto& name : list_dir(src + "/docs")) {
    if (!name.ends_with(".md")) continue;
    auto more = examples_of(src + "/docs/" + name, "docs/" + name);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

// Thrown for an example that cannot be checked as its marker says.
struct Unusable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Shell-like words of one command line: quotes group, an unquoted '#'
// starts a comment. Shell syntax beyond that is not allowed.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else if (std::string_view("|&;<>$`*?(){}~").find(c) != std::string_view::npos) {
      throw Unusable("'" + line + "' uses shell syntax; a command example runs without a shell");
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) throw Unusable("'" + line + "' has an unclosed quote");
  if (in_word) out.push_back(word);
  return out;
}

// Lines of a block with "\" continuations joined, blank and comment lines dropped.
std::vector<std::string> command_lines(const std::string& text) {
  std::vector<std::string> out;
  std::string pending;
  for (const auto& raw : split(text, '\n')) {
    std::string line(trim(raw));
    if (line.ends_with("\\")) {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    line = pending + line;
    pending.clear();
    if (!line.empty() && line.front() != '#') out.push_back(line);
  }
  return out;
}

std::string program(const std::string& name) {
  if (name != "kiln" && name != "kiln-firstboot")
    throw Unusable("a command example runs kiln or kiln-firstboot, not '" + name + "'");
  return test::bin(name);
}

std::string outcome(const test::CliResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.err.empty() ? "" : ", stderr:\n" + r.err);
}

// Each check returns "" when the example does what its marker says, else
// what went wrong.
std::string check_spec(const Example& e, const std::string& dir) {
  test::write_text(dir + "/spec.yaml", e.text);
  auto r = test::run_cli({test::bin("kiln"), "validate", "--no-file-checks", dir + "/spec.yaml"});
  return r.exit_code == 0 && r.err.empty() ? "" : "kiln validate: " + outcome(r);
}

std::string check_firstboot(const Example& e, const std::string& dir) {
  std::vector<std::string> argv{test::bin("kiln-firstboot"), "validate", "--user-data",
                                dir + "/user-data"};
  if (e.kind == "cloud-config") {
    // A snippet of one section gets the header that makes it cloud-config.
    test::write_text(dir + "/user-data",
                     e.text.starts_with("#cloud-config\n") ? e.text : "#cloud-config\n" + e.text);
  } else {
    test::write_text(dir + "/user-data", "#cloud-config\n");
    test::write_text(dir + "/network-config", e.text);
    argv.insert(argv.end(), {"--network-config", dir + "/network-config"});
  }
  auto r = test::run_cli(argv);
  // No warning either: the docs show what is supported.
  return r.exit_code == 0 && r.err.empty() ? "" : "kiln-firstboot validate: " + outcome(r);
}

// Synopses, one per line; an indented line continues the one before.
std::vector<std::string> synopsis_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& raw : split(text, '\n')) {
    if (trim(raw).empty()) continue;
    if (!out.empty() && (raw.front() == ' ' || raw.front() == '\t')) {
      out.back() += " " + std::string(trim(raw));
    } else {
      out.emplace_back(trim(raw));
    }
  }
  return out;
}

// Every --option a synopsis names is an option of that command.
std::string check_usage(const Example& e) {
  static const std::regex option(R"(--[a-z][a-z0-9-]*)");
  static const std::regex subcommand("[a-z][a-z0-9-]*");
  std::string problems;
  for (const auto& line : synopsis_lines(e.text)) {
    std::vector<std::string> words = split(line, ' ');
    const std::string prog = program(words[0]);
    // The command's words, past optional global flags: "kiln [--json] build [SPEC]".
    std::vector<std::string> argv{prog};
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i].starts_with("[-")) continue;
      if (!std::regex_match(words[i], subcommand)) break;
      argv.push_back(words[i]);
    }
    argv.emplace_back("--help");
    auto help = test::run_cli(argv);
    auto global = test::run_cli({prog, "--help"});
    if (help.exit_code != 0 || global.exit_code != 0) {
      problems += "'" + join(argv, " ") + "': " + outcome(help) + "\n";
      continue;
    }
    const std::string known = help.out + global.out;
    for (std::sregex_iterator it(line.begin(), line.end(), option), end; it != end; ++it) {
      const std::string o = it->str();
      if (known.find(o + " ") == std::string::npos && known.find(o + ",") == std::string::npos &&
          known.find(o + "\n") == std::string::npos)
        problems += "'" + line + "': " + o + " is not in its --help\n";
    }
  }
  return problems;
}

std::string check_command(const Example& e) {
  int want = 0;
  if (e.args.starts_with("exit=")) {
    want = std::stoi(e.args.substr(5));
  } else if (!e.args.empty()) {
    throw Unusable("a command marker takes only exit=N");
  }
  std::string problems;
  for (const auto& line : command_lines(e.text)) {
    auto words = words_of(line);
    words[0] = program(words[0]);
    std::vector<std::string> argv{"env", "-C", test::source_dir()};
    argv.insert(argv.end(), words.begin(), words.end());
    auto r = test::run_cli(argv);
    if (r.exit_code != want)
      problems += "'" + line + "': expected exit " + std::to_string(want) + ", got " + outcome(r);
  }
  return problems;
}

std::string check_example(const Example& e, const std::string& dir) {
  try {
    if (e.kind == "spec") return check_spec(e, dir);
    if (e.kind == "cloud-config" || e.kind == "network-config") return check_firstboot(e, dir);
    if (e.kind == "overlay-manifest") {
      (void)parse_overlay_manifest(e.text, "kiln-overlay.yaml");
      return "";
    }
    if (e.kind == "json") {
      return nlohmann::json::accept(e.text) ? "" : "not valid JSON";
    }
    if (e.kind == "usage") return check_usage(e);
    if (e.kind == "command") return check_command(e);
    if (e.kind == "not-run") {
      return std::regex_match(e.args, std::regex(R"(\(.+\))"))
                 ? ""
                 : "a not-run example says why: <!-- example: not-run (REASON) -->";
    }
    if (e.kind.empty()) {
      return "this fence has no <!-- example: KIND --> marker on the line before it (see "
             "docs/testing.md, Docs examples)";
    }
    return "unknown example kind '" + e.kind + "' (see docs/testing.md, Docs examples)";
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

// "Exit codes: 0 x, 7 y (z), 8 w." -> {0, 7, 8}: the codes of one sentence.
std::set<int> exit_codes(const std::string& text, const std::string& lead) {
  size_t start = text.find(lead);
  INFO("'" << lead << "' in:\n" << text);
  REQUIRE(start != std::string::npos);
  std::string sentence = text.substr(start + lead.size());
  sentence = sentence.substr(0, std::min(sentence.find(".\n"), sentence.find(". ")));
  std::set<int> out;
  static const std::regex code(R"((?:^|[,:]\s+)(\d+) )");
  for (std::sregex_iterator it(sentence.begin(), sentence.end(), code), end; it != end; ++it)
    out.insert(std::stoi((*it)[1].str()));
  return out;
}

// docs/cli.md's section whose heading starts with `heading`.
std::string cli_md_section(const std::string& heading) {
  std::string md = read_file(test::source_dir() + "/docs/cli.md");
  size_t start = md.find("\n" + heading);
  REQUIRE(start != std::string::npos);
  size_t end = md.find("\n#", start + 1);
  return md.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

TEST_CASE("every fenced example in README.md and docs/ is marked, and does what it says",
          "[unit]") {
  TempDir tmp;
  const auto examples = all_examples();
  std::map<std::string, int> kinds;
  for (const auto& e : examples) {
    INFO(e.where << ": <!-- example: " << e.kind << (e.args.empty() ? "" : " " + e.args) << " -->\n"
                 << e.text);
    CHECK(check_example(e, tmp.path()) == "");
    ++kinds[e.kind];
  }
  // The extraction found the examples that matter (it cannot pass on nothing).
  CHECK(kinds["spec"] >= 1);
  CHECK(kinds["cloud-config"] >= 2);
  CHECK(kinds["overlay-manifest"] >= 1);
  CHECK(kinds["usage"] >= 5);
  CHECK(kinds["command"] >= 2);
  CHECK(examples.size() >= 25);
}

TEST_CASE("the checker refuses what would let docs drift", "[unit]") {
  TempDir tmp;
  const std::string md = tmp.path() + "/doc.md";
  test::write_text(md,
                   "text\n\n```yaml\nname: x\n```\n\n<!-- example: not-run -->\n```\nx\n```\n\n"
                   "<!-- example: command exit=2 -->\n```sh\nkiln validate  # embedded\n```\n\n"
                   "  <!-- example: spec -->\n  ```yaml\n  name: BAD\n  ```\n\n"
                   "<!-- example: cloud-config -->\n```yaml\nhostname: [a]\n```\n\n"
                   "<!-- example: usage -->\n```\nkiln validate [--no-such-flag]\n```\n\n"
                   "<!-- example: command -->\n```sh\nkiln validate | cat\n```\n\n"
                   "<!-- example: json -->\n```json\n{\"a\": …}\n```\n");
  auto examples = examples_of(md, "doc.md");
  REQUIRE(examples.size() == 8);
  CHECK(examples[0].where == "doc.md:3");
  CHECK(check_example(examples[0], tmp.path()) ==
        "this fence has no <!-- example: KIND --> marker on the line before it (see "
        "docs/testing.md, Docs examples)");
  CHECK(check_example(examples[1], tmp.path()) ==
        "a not-run example says why: <!-- example: not-run (REASON) -->");
  // `kiln validate` of the embedded default exits 0, not the 2 the marker claims.
  CHECK(check_example(examples[2], tmp.path()) ==
        "'kiln validate  # embedded': expected exit 2, got exit 0");
  CHECK(examples[3].text == "name: BAD\n");  // the fence's indentation removed
  CHECK(check_example(examples[3], tmp.path()).starts_with("kiln validate: exit 2, stderr:\n"));
  CHECK(check_example(examples[4], tmp.path())
            .starts_with("kiln-firstboot validate: exit 2, stderr:\n"));
  CHECK(check_example(examples[5], tmp.path()) ==
        "'kiln validate [--no-such-flag]': --no-such-flag is not in its --help\n");
  CHECK(check_example(examples[6], tmp.path()) ==
        "'kiln validate | cat' uses shell syntax; a command example runs without a shell");
  CHECK(check_example(examples[7], tmp.path()) == "not valid JSON");
  CHECK(words_of("kiln validate 'a b'  # embedded") ==
        std::vector<std::string>{"kiln", "validate", "a b"});
  CHECK(parse_marker("<!-- example: not-run (needs QEMU) -->") ==
        std::optional<std::pair<std::string, std::string>>({"not-run", "(needs QEMU)"}));
  CHECK_FALSE(parse_marker("<!-- an ordinary comment -->"));
}

TEST_CASE("the exit codes docs/cli.md lists are the ones each command's --help lists", "[unit]") {
  struct Case {
    std::vector<std::string> help;
    std::string section;
    std::string lead;
  };
  const std::vector<Case> cases = {
      {{"validate"}, "### kiln validate", "Exit codes:"},
      {{"build"}, "### kiln build", "Exit codes:"},
      {{"airgap", "verify"}, "### kiln airgap", "Exit codes:"},
      {{"airgap", "pack"}, "### kiln airgap", "Exit codes:"},
      {{"run"}, "### kiln run", "Exit codes:"},
      {{"seed"}, "### kiln seed", "Exit codes:"},
      {{"cluster", "up"}, "### kiln cluster", "Exit codes of `up`:"},
      {{"cluster", "status"}, "### kiln cluster", "Exit codes of `status` and `down`:"},
      {{"cluster", "down"}, "### kiln cluster", "Exit codes of `status` and `down`:"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{test::bin("kiln")};
    argv.insert(argv.end(), c.help.begin(), c.help.end());
    argv.emplace_back("--help");
    auto help = test::run_cli(argv);
    INFO(join(c.help, " "));
    REQUIRE(help.exit_code == 0);
    CHECK(exit_codes(help.out, "Exit codes:") == exit_codes(cli_md_section(c.section), c.lead));
  }
  // What an exit means matters too: `kiln run` exits 4 for a missing seed
  // (docs/run.md), and its --help says so.
  auto run = test::run_cli({test::bin("kiln"), "run", "--help"});
  CHECK(run.out.find("4 missing image, seed or firmware") != std::string::npos);
  CHECK(read_file(test::source_dir() + "/docs/run.md")
            .find("| 4 | the image, the seed or the firmware does not exist |") !=
        std::string::npos);
}
