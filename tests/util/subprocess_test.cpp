#include "util/subprocess.hpp"

#include <signal.h>

#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace kiln;

TEST_CASE("run captures stdout and stderr separately, with no shell", "[unit]") {
  RunResult r = run({"sh", "-c", "echo out; echo err >&2", "ignored"});
  CHECK(r.ok());
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  // An argument with shell syntax is passed through literally.
  RunResult lit = run({"echo", "$(touch /tmp/kiln-never) ; *"});
  CHECK(lit.out == "$(touch /tmp/kiln-never) ; *\n");
  CHECK_FALSE(path_exists("/tmp/kiln-never"));
}

TEST_CASE("a failing command reports its quoted argv, exit status and output tail", "[unit]") {
  try {
    run({"sh", "-c", "for i in 1 2 3; do echo line$i >&2; done; exit 3", "it's"});
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(
        std::string(e.what()) ==
        "command failed (exit status 3): sh -c 'for i in 1 2 3; do echo line$i >&2; done; exit 3' "
        "'it'\\''s'");
    CHECK(e.detail() == "line1\nline2\nline3");
  }
}

TEST_CASE("check=false returns the status instead of throwing", "[unit]") {
  RunOptions o;
  o.check = false;
  RunResult r = run({"false"}, o);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_status == 1);
}

TEST_CASE("a missing program is reported as not found", "[unit]") {
  CHECK_THROWS_WITH(run({"kiln-no-such-program"}), "run 'kiln-no-such-program': command not found");
}

TEST_CASE("a command that outlives its timeout is killed and reported", "[unit]") {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(200);
  CHECK_THROWS_WITH(run({"sleep", "30"}, o), "command failed (timed out after 200 ms): sleep 30");
  o.check = false;
  RunResult r = run({"sleep", "30"}, o);
  CHECK(r.timed_out);
}

TEST_CASE("stdin data, cwd and environment reach the child", "[unit]") {
  TempDir dir;
  RunOptions o;
  o.stdin_data = "hello stdin";
  o.cwd = dir.path();
  o.env = {"KILN_TEST_VAR=42"};
  RunResult r = run({"sh", "-c", "cat; echo; pwd; echo $KILN_TEST_VAR"}, o);
  CHECK(r.out == "hello stdin\n" + dir.path() + "\n42\n");
}

TEST_CASE("output can go to a log file whose tail is attached on failure", "[unit]") {
  TempDir dir;
  RunOptions o;
  o.log_path = dir.path() + "/cmd.log";
  o.tail_lines = 2;
  try {
    run({"sh", "-c", "echo a; echo b >&2; echo c; exit 7"}, o);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.detail() == "b\nc");
  }
  CHECK(read_file(dir.path() + "/cmd.log") == "a\nb\nc\n");
}

TEST_CASE("an interrupt stops the running child and reports interrupted", "[unit]") {
  set_interrupted(false);
  std::thread t([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    set_interrupted(true);
  });
  try {
    run({"sleep", "30"});
    t.join();
    FAIL("no throw");
  } catch (const Error& e) {
    t.join();
    CHECK(e.exit_code() == kExitInterrupted);
    CHECK(std::string(e.what()) == "interrupted while running: sleep 30");
  }
  set_interrupted(false);
}

TEST_CASE("shell_quote round-trips through a real shell", "[unit]") {
  std::vector<std::string> words{"plain", "with space", "it's", "", "$HOME", "a\"b", "-x=1"};
  RunResult r =
      run({"sh", "-c", "for w in " + shell_quote(words) + "; do printf '[%s]' \"$w\"; done"});
  CHECK(r.out == "[plain][with space][it's][][$HOME][a\"b][-x=1]");
}

TEST_CASE("tail_lines keeps the last lines", "[unit]") {
  CHECK(tail_lines("a\nb\nc\n", 2) == "b\nc");
  CHECK(tail_lines("a\nb", 5) == "a\nb");
  CHECK(tail_lines("", 3).empty());
}

TEST_CASE("a child that writes a lot before reading all its stdin does not deadlock", "[unit]") {
  std::string input(4 << 20, 'k');
  RunOptions o;
  o.stdin_data = input;
  o.timeout = std::chrono::seconds(60);
  RunResult r = run({"cat"}, o);
  CHECK(r.out.size() == input.size());
}

TEST_CASE("the child leads its own process group with default signal handling", "[unit]") {
  // Ignored here, so the child would inherit it without the reset.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old {};
  REQUIRE(::sigaction(SIGTERM, &ignore, &old) == 0);
  // Field 5 of /proc/PID/stat is the process group.
  RunResult r =
      run({"sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat); grep '^SigIgn' /proc/$$/status"});
  ::sigaction(SIGTERM, &old, nullptr);
  auto words = split(std::string(trim(r.out.substr(0, r.out.find('\n')))), ' ');
  REQUIRE(words.size() >= 2);
  CHECK(words.front() == words.back());  // pid == pgid
  // SigIgn is a hex mask; SIGTERM is bit 15 (0x4000).
  std::string mask(trim(r.out.substr(r.out.find(':') + 1)));
  CHECK((std::stoull(mask, nullptr, 16) & (1ULL << (SIGTERM - 1))) == 0);
}

TEST_CASE("a working directory that cannot be entered is an error naming it", "[unit]") {
  TempDir dir;
  RunOptions o;
  o.cwd = dir.path() + "/missing";
  try {
    run({"true"}, o);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "chdir '" + dir.path() + "/missing' for 'true': No such file or directory");
    CHECK(e.exit_code() == 126);
  }
}

TEST_CASE("a program that cannot be executed is an exec error", "[unit]") {
  TempDir dir;
  // Executable bit, but no format the kernel knows and no #! line.
  test::write_text(dir.path() + "/garbage",
                   std::string("\x7f"
                               "ELF-not-really",
                               16),
                   0755);
  try {
    run({dir.path() + "/garbage"});
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "exec '" + dir.path() + "/garbage': Exec format error");
    CHECK(e.exit_code() == 127);
  }
}
