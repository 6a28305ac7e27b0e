// Generates the image set bench/airgap/run packs: N docker-archives (the
// format `docker save` writes, and the one RKE2 release image tarballs use)
// whose images share a base layer and each add an app layer of their own.
// Content is deterministic and about as compressible as binaries and text
// in real images; everything streams, so multi-GiB sets need little memory.
//
//   make_image_set --out DIR --images N --base-mib B --app-mib A [--shared-base 0|1]
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/archive_ptr.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace {

using kiln::ArchivePtr;

// Text-like runs from a small vocabulary mixed with binary-like noise.
class Content {
 public:
  explicit Content(uint64_t seed) : x_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  void fill(std::string& buf) {
    static const std::vector<std::string> words = {
        "kernel ",     "container ", "layer ",           "0x7f45", "libc.so.6 ",
        "GLIBC_2.34 ", "config ",    "\x00\x00\x00\x00", "main ",  "error: ",
        "/usr/lib/",   "json ",      "\x48\x89\xe5",     "ret ",   "return 0;\n",
        "namespace ",  "static ",    "\xff\xff",         "ELF",    "registry "};
    buf.clear();
    while (buf.size() < kBlock) {
      if (next() % 4 == 0) {
        for (int i = 0; i < 64; ++i) buf.push_back(static_cast<char>(next()));
      } else {
        for (int i = 0; i < 16; ++i) buf += words[next() % words.size()];
      }
    }
    buf.resize(kBlock);
  }
  static constexpr size_t kBlock = 1 << 16;

 private:
  uint64_t next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }
  uint64_t x_;
};

struct Hashing {
  FILE* f;
  kiln::Sha256 h;
  uint64_t bytes = 0;
};

la_ssize_t write_cb(struct archive*, void* client, const void* buf, size_t n) {
  auto* w = static_cast<Hashing*>(client);
  if (std::fwrite(buf, 1, n, w->f) != n) return -1;
  w->h.update(buf, n);
  w->bytes += n;
  return static_cast<la_ssize_t>(n);
}

void check(struct archive* a, int rc, const char* what) {
  if (rc < ARCHIVE_WARN) kiln::archive_check(a, rc, what, "bench output");
}

// A layer tar of `mib` MiB in 4 MiB files; returns its sha256 (the diff_id).
std::string write_layer(const std::string& path, uint64_t seed, uint64_t mib) {
  Hashing out{std::fopen(path.c_str(), "wb"), {}, 0};
  if (out.f == nullptr) kiln::throw_errno("create", path);
  ArchivePtr a = kiln::new_archive_writer();
  archive_write_set_format_pax_restricted(a.get());
  check(a.get(), archive_write_open(a.get(), &out, nullptr, write_cb, nullptr), "open");
  Content content(seed);
  std::string block;
  const uint64_t file_size = 4 << 20;
  for (uint64_t done = 0, i = 0; done < (mib << 20); done += file_size, ++i) {
    kiln::ArchiveEntryPtr e = kiln::new_archive_entry();
    std::string name = "opt/layer-" + std::to_string(seed) + "/file-" + std::to_string(i);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(file_size));
    check(a.get(), archive_write_header(a.get(), e.get()), "header");
    for (uint64_t w = 0; w < file_size; w += Content::kBlock) {
      content.fill(block);
      archive_write_data(a.get(), block.data(), block.size());
    }
  }
  check(a.get(), archive_write_close(a.get()), "close");
  std::fclose(out.f);
  return out.h.hex_digest();
}

void add_file(struct archive* a, const std::string& name, const std::string& from) {
  auto st = kiln::lstat_path(from);
  kiln::ArchiveEntryPtr e = kiln::new_archive_entry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), st->st_size);
  check(a, archive_write_header(a, e.get()), "header");
  FILE* f = std::fopen(from.c_str(), "rb");
  std::vector<char> buf(1 << 20);
  while (size_t n = std::fread(buf.data(), 1, buf.size(), f)) archive_write_data(a, buf.data(), n);
  std::fclose(f);
}

void add_bytes(struct archive* a, const std::string& name, const std::string& data) {
  kiln::ArchiveEntryPtr e = kiln::new_archive_entry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  check(a, archive_write_header(a, e.get()), "header");
  archive_write_data(a, data.data(), data.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  uint64_t images = 8, base_mib = 256, app_mib = 32;
  bool shared = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--out")
      out = v;
    else if (k == "--images")
      images = std::stoull(v);
    else if (k == "--base-mib")
      base_mib = std::stoull(v);
    else if (k == "--app-mib")
      app_mib = std::stoull(v);
    else if (k == "--shared-base")
      shared = v == "1";
  }
  if (out.empty()) {
    std::fprintf(stderr,
                 "usage: make_image_set --out DIR [--images N] [--base-mib B] [--app-mib A] "
                 "[--shared-base 0|1]\n");
    return 2;
  }
  try {
    kiln::mkdir_p(out + "/.layers");
    std::string base_tar = out + "/.layers/base.tar";
    std::string base_id = write_layer(base_tar, 1, base_mib);
    for (uint64_t i = 0; i < images; ++i) {
      std::string own_base = base_tar;
      std::string own_base_id = base_id;
      if (!shared) {
        own_base = out + "/.layers/base-" + std::to_string(i) + ".tar";
        own_base_id = write_layer(own_base, 1000 + i, base_mib);
      }
      std::string app_tar = out + "/.layers/app.tar";
      std::string app_id = write_layer(app_tar, 100 + i, app_mib);
      nlohmann::json config = {
          {"architecture", "amd64"},
          {"os", "linux"},
          {"config", {{"Cmd", {"/bin/sh"}}}},
          {"rootfs",
           {{"type", "layers"}, {"diff_ids", {"sha256:" + own_base_id, "sha256:" + app_id}}}}};
      std::string cfg = config.dump();
      std::string cfg_name = kiln::sha256_hex(cfg) + ".json";
      std::string tag = "bench.kiln.test/app-" + std::to_string(i) + ":1";
      nlohmann::json manifest = nlohmann::json::array(
          {{{"Config", cfg_name},
            {"RepoTags", {tag}},
            {"Layers", {own_base_id + "/layer.tar", app_id + "/layer.tar"}}}});
      Hashing file{std::fopen((out + "/image-" + std::to_string(i) + ".tar").c_str(), "wb"), {}, 0};
      ArchivePtr a = kiln::new_archive_writer();
      archive_write_set_format_pax_restricted(a.get());
      check(a.get(), archive_write_open(a.get(), &file, nullptr, write_cb, nullptr), "open");
      add_file(a.get(), own_base_id + "/layer.tar", own_base);
      add_file(a.get(), app_id + "/layer.tar", app_tar);
      add_bytes(a.get(), cfg_name, cfg);
      add_bytes(a.get(), "manifest.json", manifest.dump());
      check(a.get(), archive_write_close(a.get()), "close");
      std::fclose(file.f);
      if (!shared) kiln::remove_tree(own_base);
    }
    kiln::remove_tree(out + "/.layers");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_image_set: %s\n", e.what());
    return 1;
  }
  return 0;
}
