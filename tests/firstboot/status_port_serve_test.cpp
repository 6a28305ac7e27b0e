// The status responder's serving loop and the `kiln-firstboot status-port`
// command: requests may arrive split or several in one write, a host may go
// away and come back, and the command stops cleanly on SIGTERM. The port is
// a socketpair for the loop and a pty for the command (a character device,
// as /dev/virtio-ports/org.kiln.status is).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/wait.h>

#include "firstboot/status_port.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

extern char** environ;

using namespace kiln;
using namespace kiln::firstboot;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Reads lines from `fd` until `count` arrived or 10 s passed.
std::vector<std::string> read_lines(int fd, size_t count) {
  std::vector<std::string> lines;
  std::string buffer;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (lines.size() < count && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) continue;
    buffer.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      std::string line = buffer.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
      buffer.erase(0, nl + 1);
    }
  }
  return lines;
}

void write_all(int fd, const std::string& data) {
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
}

std::string canned_root(const std::string& dir) {
  test::write_text(dir + "/run/kiln/status.json",
                   R"({"result": "failed", "exit_code": 1, "errors": ["rke2: start failed"]})");
  test::write_text(dir + "/proc/sys/kernel/hostname", "agent-1\n");
  return dir;
}

// The responder on one end of a socketpair, in a thread, until stopped.
struct Responder {
  UniqueFd host;
  UniqueFd guest;
  std::atomic<bool> stop{false};
  std::thread thread;

  explicit Responder(StatusSources sources) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    host.reset(fds[0]);
    guest.reset(fds[1]);
    REQUIRE(::fcntl(guest.get(), F_SETFL, O_NONBLOCK) == 0);
    thread = std::thread([this, sources = std::move(sources)] {
      serve_status_port(
          guest.get(), sources, [this] { return stop.load(); }, std::chrono::milliseconds(20));
    });
  }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder() {
    stop = true;
    thread.join();
  }
};

}  // namespace

TEST_CASE("status-port: split and batched requests each get their own answer line", "[unit]") {
  TempDir tmp;
  StatusSources s;
  s.root = canned_root(tmp.path());
  Responder r(s);
  write_all(r.host.get(), "status a-1\nstat");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  write_all(r.host.get(), "us b-2\nnonsense\n");
  auto lines = read_lines(r.host.get(), 3);
  REQUIRE(lines.size() == 3);
  CHECK(json::parse(lines[0])["id"] == "a-1");
  CHECK(json::parse(lines[0])["firstboot"]["result"] == "failed");
  CHECK(json::parse(lines[0])["firstboot"]["errors"] == json::array({"rke2: start failed"}));
  CHECK(json::parse(lines[0])["hostname"] == "agent-1");
  CHECK(json::parse(lines[1])["id"] == "b-2");
  CHECK(json::parse(lines[2])["error"] == "unknown request; send 'status ID' or 'poweroff ID'");

  // A request longer than any valid one is dropped with one error answer.
  write_all(r.host.get(), std::string(300, 'x'));
  lines = read_lines(r.host.get(), 1);
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0])["id"] == nullptr);
  write_all(r.host.get(), "status c-3\n");
  lines = read_lines(r.host.get(), 1);
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0])["id"] == "c-3");
}

TEST_CASE("status-port: a host that goes away leaves the responder waiting, and stop ends it",
          "[unit]") {
  TempDir tmp;
  StatusSources s;
  s.root = canned_root(tmp.path());
  auto r = std::make_unique<Responder>(s);
  write_all(r->host.get(), "status half");  // never finished
  r->host.reset();                          // the host hangs up
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto before = Clock::now();
  r.reset();  // stop, join
  CHECK(Clock::now() - before < std::chrono::seconds(2));
}

TEST_CASE("kiln-firstboot status-port answers on a character device and stops on SIGTERM",
          "[unit]") {
  TempDir tmp;
  const std::string root = canned_root(tmp.path() + "/root");
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  REQUIRE(master);
  REQUIRE(::grantpt(master.get()) == 0);
  REQUIRE(::unlockpt(master.get()) == 0);
  termios raw{};
  REQUIRE(::tcgetattr(master.get(), &raw) == 0);
  ::cfmakeraw(&raw);  // a virtio port has no line discipline: no echo, no CR
  REQUIRE(::tcsetattr(master.get(), TCSANOW, &raw) == 0);
  const std::string port = ::ptsname(master.get());

  const std::string bin = test::bin("kiln-firstboot");
  std::vector<std::string> args{bin, "status-port", "--port", port, "--root", root};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ) == 0);

  write_all(master.get(), "status t-1\n");
  auto lines = read_lines(master.get(), 1);
  ::kill(pid, SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(lines.size() == 1);
  json reply = json::parse(lines[0]);
  CHECK(reply["id"] == "t-1");
  CHECK(reply["firstboot"]["result"] == "failed");
  CHECK(reply["hostname"] == "agent-1");
  // Without systemd here the role says why; with it, it names a unit.
  CHECK(reply["role"].contains("name"));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("kiln-firstboot status-port: a port that does not exist is a one-line error, exit 1",
          "[unit]") {
  TempDir tmp;
  auto r = test::run_cli(
      {test::bin("kiln-firstboot"), "status-port", "--port", tmp.path() + "/missing"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "kiln-firstboot: error: open '" + tmp.path() +
                     "/missing': No such file or "
                     "directory\n");
}
