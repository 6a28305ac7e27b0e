// Each C-library wrapper exercised against real files in temp dirs.
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/support/http_server.hpp"
#include "tests/support/test_support.hpp"
#include "util/blkid_ptr.hpp"
#include "util/curl_ptr.hpp"
#include "util/error.hpp"
#include "util/fdisk_ptr.hpp"
#include "util/fs.hpp"
#include "util/mount_ptr.hpp"
#include "util/sd_bus_ptr.hpp"
#include "util/subprocess.hpp"
#include "util/zstd_ptr.hpp"

using namespace kiln;

TEST_CASE("libmount table parses an fstab file in a temp dir", "[unit]") {
  TempDir dir;
  test::write_text(dir.path() + "/fstab",
                   "PARTLABEL=kiln-state /var ext4 defaults,noatime 0 2\n"
                   "tmpfs /tmp tmpfs mode=1777 0 0\n");
  MntTablePtr table(mnt_new_table());
  REQUIRE(table);
  REQUIRE(mnt_table_parse_fstab(table.get(), (dir.path() + "/fstab").c_str()) == 0);
  CHECK(mnt_table_get_nents(table.get()) == 2);
  MntIterPtr iter(mnt_new_iter(MNT_ITER_FORWARD));
  struct libmnt_fs* fs = nullptr;
  REQUIRE(mnt_table_next_fs(table.get(), iter.get(), &fs) == 0);
  CHECK(std::string(mnt_fs_get_target(fs)) == "/var");
  CHECK(std::string(mnt_fs_get_fstype(fs)) == "ext4");
  MntFsPtr own(mnt_copy_fs(nullptr, fs));
  CHECK(std::string(mnt_fs_get_options(own.get())) == "defaults,noatime");
  MntContextPtr ctx(mnt_new_context());
  CHECK(ctx);
}

TEST_CASE("blkid probe reads the label of an ext4 image in a temp dir", "[unit]") {
  TempDir dir;
  std::string img = dir.path() + "/fs.img";
  run({"truncate", "-s", "8M", img});
  run({"mkfs.ext4", "-q", "-L", "kiln-test", img});
  BlkidProbePtr probe(blkid_new_probe_from_filename(img.c_str()));
  REQUIRE(probe);
  blkid_probe_enable_superblocks(probe.get(), 1);
  blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
  REQUIRE(blkid_do_safeprobe(probe.get()) == 0);
  const char* value = nullptr;
  REQUIRE(blkid_probe_lookup_value(probe.get(), "LABEL", &value, nullptr) == 0);
  CHECK(std::string(value) == "kiln-test");
  REQUIRE(blkid_probe_lookup_value(probe.get(), "TYPE", &value, nullptr) == 0);
  CHECK(std::string(value) == "ext4");
}

TEST_CASE("fdisk context writes a GPT to a plain file", "[unit]") {
  TempDir dir;
  std::string img = dir.path() + "/disk.img";
  run({"truncate", "-s", "64M", img});
  {
    FdiskContextPtr cxt(fdisk_new_context());
    REQUIRE(cxt);
    REQUIRE(fdisk_assign_device(cxt.get(), img.c_str(), 0) == 0);
    REQUIRE(fdisk_create_disklabel(cxt.get(), "gpt") == 0);
    FdiskPartitionPtr pa(fdisk_new_partition());
    fdisk_partition_set_start(pa.get(), 2048);
    fdisk_partition_set_size(pa.get(), 32768);
    fdisk_partition_partno_follow_default(pa.get(), 1);
    FdiskParttypePtr type(fdisk_label_parse_parttype(fdisk_get_label(cxt.get(), nullptr),
                                                    "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"));
    REQUIRE(type);
    fdisk_partition_set_type(pa.get(), type.get());
    fdisk_partition_set_name(pa.get(), "esp");
    REQUIRE(fdisk_add_partition(cxt.get(), pa.get(), nullptr) == 0);
    REQUIRE(fdisk_write_disklabel(cxt.get()) == 0);
    REQUIRE(fdisk_deassign_device(cxt.get(), 0) == 0);
  }
  FdiskContextPtr check(fdisk_new_context());
  REQUIRE(fdisk_assign_device(check.get(), img.c_str(), 1) == 0);
  fdisk_table* raw = nullptr;
  REQUIRE(fdisk_get_partitions(check.get(), &raw) == 0);
  FdiskTablePtr table(raw);
  REQUIRE(fdisk_table_get_nents(table.get()) == 1);
  fdisk_partition* p = fdisk_table_get_partition(table.get(), 0);
  CHECK(fdisk_partition_get_start(p) == 2048);
  CHECK(std::string(fdisk_partition_get_name(p)) == "esp");
}

namespace {
int on_ping(sd_bus_message* m, void* /*userdata*/, sd_bus_error* /*error*/) {
  const char* text = nullptr;
  if (sd_bus_message_read(m, "s", &text) < 0) return -EINVAL;
  return sd_bus_reply_method_return(m, "s", (std::string("pong:") + text).c_str());
}
const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Ping", "s", "s", on_ping, 0),
    SD_BUS_VTABLE_END,
};
}  // namespace

TEST_CASE("sd-bus wrappers carry a method call over a socket pair", "[unit]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  std::thread server([fd = fds[0]] {
    sd_bus* raw = nullptr;
    sd_bus_new(&raw);
    SdBusPtr bus(raw);
    sd_id128_t id{};
    sd_id128_randomize(&id);
    sd_bus_set_fd(bus.get(), fd, fd);
    sd_bus_set_server(bus.get(), 1, id);
    sd_bus_set_anonymous(bus.get(), 1);
    sd_bus_slot* slot_raw = nullptr;
    sd_bus_add_object_vtable(bus.get(), &slot_raw, "/kiln", "org.kiln.Test", kVtable, nullptr);
    SdBusSlotPtr slot(slot_raw);
    if (sd_bus_start(bus.get()) < 0) return;
    for (int i = 0; i < 100; ++i) {
      int r = sd_bus_process(bus.get(), nullptr);
      if (r < 0) return;
      if (r == 0) sd_bus_wait(bus.get(), 50'000);
    }
  });
  sd_bus* raw = nullptr;
  REQUIRE(sd_bus_new(&raw) >= 0);
  SdBusPtr client(raw);
  sd_bus_set_fd(client.get(), fds[1], fds[1]);
  sd_bus_set_anonymous(client.get(), 1);
  REQUIRE(sd_bus_start(client.get()) >= 0);
  SdBusError error;
  sd_bus_message* reply_raw = nullptr;
  int r = sd_bus_call_method(client.get(), nullptr, "/kiln", "org.kiln.Test", "Ping", error.get(),
                             &reply_raw, "s", "kiln");
  SdBusMessagePtr reply(reply_raw);
  CHECK(r >= 0);
  CHECK_FALSE(error.is_set());
  const char* answer = nullptr;
  REQUIRE(sd_bus_message_read(reply.get(), "s", &answer) >= 0);
  CHECK(std::string(answer) == "pong:kiln");

  SdBusError missing;
  sd_bus_message* none = nullptr;
  r = sd_bus_call_method(client.get(), nullptr, "/kiln", "org.kiln.Test", "Nope", missing.get(),
                         &none, "");
  CHECK(r < 0);
  CHECK(missing.is_set());
  client.reset();
  server.join();
}

TEST_CASE("zstd contexts compress and decompress a file's contents", "[unit]") {
  TempDir dir;
  std::string data;
  for (int i = 0; i < 100000; ++i) data += "kiln-" + std::to_string(i % 97);
  ZstdCCtxPtr cctx(ZSTD_createCCtx());
  REQUIRE(cctx);
  std::string packed(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress2(cctx.get(), packed.data(), packed.size(), data.data(), data.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  packed.resize(n);
  test::write_text(dir.path() + "/blob.zst", packed);
  std::string from_disk = read_file(dir.path() + "/blob.zst");
  ZstdDCtxPtr dctx(ZSTD_createDCtx());
  std::string out(data.size(), '\0');
  size_t m = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), from_disk.data(), from_disk.size());
  REQUIRE_FALSE(ZSTD_isError(m));
  CHECK(m == data.size());
  CHECK(out == data);
  CHECK(packed.size() < data.size() / 4);
}

namespace {
size_t collect(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}
}  // namespace

TEST_CASE("curl handle fetches from a test server on 127.0.0.1", "[unit]") {
  test::HttpServer server([](const test::HttpRequest& req) {
    test::HttpResponse r;
    r.body = "you asked for " + req.target;
    return r;
  });
  CurlPtr curl(curl_easy_init());
  REQUIRE(curl);
  std::string body;
  CurlSlistPtr headers(curl_slist_append(nullptr, "X-Kiln: 1"));
  curl_easy_setopt(curl.get(), CURLOPT_URL, server.url("/hello").c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  REQUIRE(curl_easy_perform(curl.get()) == CURLE_OK);
  CHECK(body == "you asked for /hello");
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].header("x-kiln") == "1");
}
