// kiln-firstboot status-port: the guest side of the status channel that
// `kiln cluster status` reads (see status_port.hpp for the protocol). Run by
// kiln-status-port.service when the VM has the org.kiln.status port.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "firstboot/commands.hpp"
#include "firstboot/status_port.hpp"
#include "firstboot/unit_states.hpp"
#include "util/args.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::firstboot {
namespace {

ArgParser status_port_parser() {
  ArgParser p("kiln-firstboot status-port", "[--port PATH] [--print]",
              "Answer 'status ID' requests on the virtio-serial port kiln cluster gives each VM\n"
              "with one JSON line: the first-boot result from /run/kiln/status.json and the\n"
              "RKE2 role unit's state. Never includes a secret. 'poweroff ID' shuts the\n"
              "machine down cleanly.");
  p.option(
      "port", 0, "PATH",
      std::string("The port (default ") + kStatusPortPath + "); a Unix socket is connected to");
  p.option("root", 0, "DIR", "Read status.json and /proc under DIR (default /)");
  p.flag("print", 0, "Print the status once to stdout and exit");
  p.epilog("Exit codes: 0 stopped by SIGTERM (or printed), 1 the port cannot be used.");
  return p;
}

// A character device (the virtio port) is opened; a Unix socket (tests,
// or a host-side socket forwarded into a container) is connected to.
UniqueFd open_port(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw_errno("create socket for", path);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
      throw Error("connect '" + path + "': path too long for a Unix socket");
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EINPROGRESS) {
      throw_errno("connect", path);
    }
    return fd;
  }
  return open_file(path, O_RDWR | O_NONBLOCK | O_NOCTTY);
}

int run_status_port(const std::vector<std::string>& args, const GlobalOptions& /*global*/) {
  ArgParser parser = status_port_parser();
  ParsedArgs a = parser.parse(args);
  if (a.help_requested()) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  StatusSources sources;
  sources.root = a.get_or("root", "/");
  sources.units = systemd_unit_query();
  sources.power_off = systemd_power_off();
  if (a.has("print")) {
    const auto replace = nlohmann::json::error_handler_t::replace;
    std::printf("%s\n", status_reply(sources).dump(2, ' ', false, replace).c_str());
    return 0;
  }
  const std::string port = a.get_or("port", kStatusPortPath);
  UniqueFd fd = open_port(port);
  serve_status_port(fd.get(), sources, [] { return interrupted(); });
  return 0;
}

}  // namespace

Command status_port_command() {
  return {"status-port", "Answer kiln cluster's status requests on a virtio-serial port",
          run_status_port};
}

}  // namespace kiln::firstboot
