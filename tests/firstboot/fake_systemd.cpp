#include "tests/firstboot/fake_systemd.hpp"

#include <unistd.h>

#include <cerrno>

#include <sys/socket.h>

#include "util/error.hpp"
#include "util/sd_bus_ptr.hpp"

namespace kiln::test {
namespace {

FakeSystemd* self(void* userdata) {
  return static_cast<FakeSystemd*>(userdata);
}

int on_reload(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  self(userdata)->record("Reload");
  return sd_bus_reply_method_return(m, "");
}

int on_enable(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  std::string call = "EnableUnitFiles";
  int r = sd_bus_message_enter_container(m, 'a', "s");
  if (r < 0) return r;
  const char* unit = nullptr;
  std::vector<std::string> units;
  while ((r = sd_bus_message_read(m, "s", &unit)) > 0) {
    call += std::string(" ") + unit;
    units.emplace_back(unit);
  }
  if (r < 0) return r;
  sd_bus_message_exit_container(m);
  int runtime = 0;
  int force = 0;
  if ((r = sd_bus_message_read(m, "bb", &runtime, &force)) < 0) return r;
  call += std::string(" runtime=") + (runtime ? "1" : "0") + " force=" + (force ? "1" : "0");
  self(userdata)->record(call);
  sd_bus_message* reply_raw = nullptr;
  if ((r = sd_bus_message_new_method_return(m, &reply_raw)) < 0) return r;
  SdBusMessagePtr reply(reply_raw);
  sd_bus_message_append(reply.get(), "b", 1);
  sd_bus_message_open_container(reply.get(), 'a', "(sss)");
  if (self(userdata)->enable_changes_) {
    for (const auto& u : units) {
      std::string link = "/etc/systemd/system/multi-user.target.wants/" + u;
      std::string target = "/usr/lib/systemd/system/" + u;
      sd_bus_message_append(reply.get(), "(sss)", "symlink", link.c_str(), target.c_str());
    }
  }
  sd_bus_message_close_container(reply.get());
  return sd_bus_send(nullptr, reply.get(), nullptr);
}

int on_unit_job(sd_bus_message* m, void* userdata, sd_bus_error* error, const char* method) {
  const char* unit = nullptr;
  const char* mode = nullptr;
  int r = sd_bus_message_read(m, "ss", &unit, &mode);
  if (r < 0) return r;
  self(userdata)->record(std::string(method) + " " + unit + " " + mode);
  if (std::string(method) == "StartUnit" && !self(userdata)->start_error_.empty()) {
    return sd_bus_error_set(error, "org.freedesktop.systemd1.NoSuchUnit",
                            self(userdata)->start_error_.c_str());
  }
  return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/42");
}

int on_start(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return on_unit_job(m, userdata, error, "StartUnit");
}
int on_restart(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return on_unit_job(m, userdata, error, "RestartUnit");
}
int on_try_restart(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return on_unit_job(m, userdata, error, "TryRestartUnit");
}

int on_load(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  const char* unit = nullptr;
  int r = sd_bus_message_read(m, "s", &unit);
  if (r < 0) return r;
  self(userdata)->record(std::string("LoadUnit ") + unit);
  return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/unit/fake_2eservice");
}

int get_active_state(sd_bus* /*bus*/, const char* /*path*/, const char* /*iface*/,
                     const char* /*prop*/, sd_bus_message* reply, void* userdata,
                     sd_bus_error* /*error*/) {
  FakeSystemd* f = self(userdata);
  size_t i = std::min(f->state_queries_, f->states_.size() - 1);
  ++f->state_queries_;
  return sd_bus_message_append(reply, "s", f->states_[i].c_str());
}

const sd_bus_vtable kManager[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Reload", "", "", on_reload, 0),
    SD_BUS_METHOD("EnableUnitFiles", "asbb", "ba(sss)", on_enable, 0),
    SD_BUS_METHOD("StartUnit", "ss", "o", on_start, 0),
    SD_BUS_METHOD("RestartUnit", "ss", "o", on_restart, 0),
    SD_BUS_METHOD("TryRestartUnit", "ss", "o", on_try_restart, 0),
    SD_BUS_METHOD("LoadUnit", "s", "o", on_load, 0),
    SD_BUS_VTABLE_END,
};

const sd_bus_vtable kUnit[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("ActiveState", "s", get_active_state, 0, 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

FakeSystemd::FakeSystemd() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno("socketpair", "fake systemd");
  server_fd_ = fds[0];
  client_fd_ = fds[1];
  thread_ = std::thread([this] {
    sd_bus* raw = nullptr;
    if (sd_bus_new(&raw) < 0) return;
    SdBusPtr bus(raw);
    sd_id128_t id{};
    sd_id128_randomize(&id);
    sd_bus_set_fd(bus.get(), server_fd_, server_fd_);
    sd_bus_set_server(bus.get(), 1, id);
    sd_bus_set_anonymous(bus.get(), 1);
    sd_bus_slot* s1 = nullptr;
    sd_bus_slot* s2 = nullptr;
    sd_bus_add_object_vtable(bus.get(), &s1, "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", kManager, this);
    sd_bus_add_object_vtable(bus.get(), &s2, "/org/freedesktop/systemd1/unit/fake_2eservice",
                             "org.freedesktop.systemd1.Unit", kUnit, this);
    SdBusSlotPtr slot1(s1);
    SdBusSlotPtr slot2(s2);
    if (sd_bus_start(bus.get()) < 0) return;
    while (!stop_) {
      int r = sd_bus_process(bus.get(), nullptr);
      if (r < 0) return;  // the client went away
      if (r == 0) sd_bus_wait(bus.get(), 50'000);
    }
  });
}

FakeSystemd::~FakeSystemd() {
  stop_ = true;
  if (client_fd_ >= 0) ::close(client_fd_);
  thread_.join();
}

firstboot::SystemdManager FakeSystemd::connect() {
  sd_bus* raw = nullptr;
  if (sd_bus_new(&raw) < 0) throw Error("sd_bus_new failed");
  SdBusPtr bus(raw);
  int fd = client_fd_;
  client_fd_ = -1;  // the bus owns it now
  sd_bus_set_fd(bus.get(), fd, fd);
  sd_bus_set_anonymous(bus.get(), 1);
  if (sd_bus_start(bus.get()) < 0) throw Error("sd_bus_start failed");
  return firstboot::SystemdManager(std::move(bus));
}

std::vector<std::string> FakeSystemd::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

void FakeSystemd::record(const std::string& call) {
  std::lock_guard lock(mu_);
  calls_.push_back(call);
}

}  // namespace kiln::test
