#include <catch2/catch.hpp>
#include <signal.h>

#include <thread>

#include "tests/support/test_support.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"

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
    CHECK(std::string(e.what()) ==
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
  RunResult r = run({"sh", "-c", "for w in " + shell_quote(words) + "; do printf '[%s]' \"$w\"; done"});
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
