#include "tests/airgap/test_images.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <set>

#include <nlohmann/json.hpp>

#include "airgap/media_types.hpp"
#include "tests/support/test_support.hpp"
#include "util/archive_ptr.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln::test {
namespace {

la_ssize_t append_cb(struct archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void add_filter(struct archive* a, Compression c) {
  if (c == Compression::Gzip) archive_write_add_filter_gzip(a);
  if (c == Compression::Zstd) archive_write_add_filter_zstd(a);
}

void write_entries(struct archive* a, const std::vector<TarEntry>& entries) {
  for (const auto& e : entries) {
    ArchiveEntryPtr entry = new_archive_entry();
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_uid(entry.get(), e.uid);
    archive_entry_set_gid(entry.get(), e.gid);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    for (const auto& [k, v] : e.xattrs) {
      archive_entry_xattr_add_entry(entry.get(), k.c_str(), v.data(), v.size());
    }
    switch (e.type) {
      case TarEntry::Type::File:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), e.mode);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
        break;
      case TarEntry::Type::Directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), e.mode == 0644 ? 0755 : e.mode);
        break;
      case TarEntry::Type::Symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink(entry.get(), e.content.c_str());
        break;
      case TarEntry::Type::Hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), e.mode);
        archive_entry_set_hardlink(entry.get(), e.content.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
    }
    archive_check(a, archive_write_header(a, entry.get()), "write header", e.name);
    if (e.type == TarEntry::Type::File && !e.content.empty()) {
      if (archive_write_data(a, e.content.data(), e.content.size()) < 0) {
        archive_check(a, ARCHIVE_FATAL, "write", e.name);
      }
    }
  }
}

std::string sha(const std::string& bytes) {
  return "sha256:" + sha256_hex(bytes);
}

}  // namespace

std::string make_tar(const std::vector<TarEntry>& entries, Compression c) {
  std::string out;
  ArchivePtr a = new_archive_writer();
  archive_write_set_format_pax_restricted(a.get());
  add_filter(a.get(), c);
  archive_write_set_bytes_per_block(a.get(), 0);
  archive_check(a.get(), archive_write_open(a.get(), &out, nullptr, append_cb, nullptr), "open",
                "memory");
  write_entries(a.get(), entries);
  archive_check(a.get(), archive_write_close(a.get()), "close", "memory");
  return out;
}

void write_tar(const std::string& path, const std::vector<TarEntry>& entries, Compression c) {
  mkdir_p(dirname_of(path));
  write_text(path, make_tar(entries, c));
}

void tar_directory(const std::string& dir, const std::string& path, Compression c) {
  std::vector<TarEntry> entries;
  for (const auto& rel : list_tree(dir)) {
    TarEntry e(TarEntry::Type::File, rel);
    auto st = lstat_path(dir + "/" + rel);
    if (st && S_ISLNK(st->st_mode)) {
      char buf[4096];
      ssize_t n = ::readlink((dir + "/" + rel).c_str(), buf, sizeof buf);
      e.type = TarEntry::Type::Symlink;
      e.content.assign(buf, static_cast<size_t>(n));
    } else {
      e.content = read_file(dir + "/" + rel, 1ULL << 30);
    }
    entries.push_back(std::move(e));
  }
  write_tar(path, entries, c);
}

std::string busybox_layer(Compression c) {
  std::vector<TarEntry> entries;
  entries.push_back({TarEntry::Type::Directory, "bin", "", 0755});
  entries.push_back(
      {TarEntry::Type::File, "bin/busybox", read_file("/bin/busybox", 64 << 20), 0755});
  for (const char* applet : {"sh", "ls", "cat", "echo", "true", "sleep"}) {
    entries.push_back({TarEntry::Type::Symlink, std::string("bin/") + applet, "busybox"});
  }
  entries.push_back({TarEntry::Type::Directory, "etc", "", 0755});
  entries.push_back({TarEntry::Type::File, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"});
  return make_tar(entries, c);
}

LayerBlob layer_from_tar(std::string bytes, Compression c) {
  LayerBlob l;
  l.compression = c;
  if (c == Compression::None) {
    l.diff_id = sha(bytes);
  } else {
    // Decompress through libarchive's raw reader to hash the plain tar.
    ArchivePtr a = new_archive_reader();
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    archive_read_open_memory(a.get(), bytes.data(), bytes.size());
    struct archive_entry* e = nullptr;
    archive_check(a.get(), archive_read_next_header(a.get(), &e), "read", "layer");
    Sha256 h;
    char buf[65536];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0)
      h.update(buf, static_cast<size_t>(n));
    l.diff_id = "sha256:" + h.hex_digest();
  }
  l.bytes = std::move(bytes);
  return l;
}

LayerBlob make_layer(const std::vector<TarEntry>& entries, Compression c) {
  return layer_from_tar(make_tar(entries, c), c);
}

std::string image_config_json(const std::vector<std::string>& diff_ids, const std::string& arch,
                              const std::string& extra) {
  nlohmann::json j = {{"architecture", arch},
                      {"os", "linux"},
                      {"config", {{"Cmd", {"/bin/sh"}}}},
                      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!extra.empty()) j["comment"] = extra;
  return j.dump();
}

OciLayout::OciLayout(std::string dir) : dir_(std::move(dir)) {
  mkdir_p(dir_ + "/blobs/sha256");
}

airgap::Descriptor OciLayout::add_blob(const std::string& media_type, const std::string& bytes) {
  std::string digest = sha(bytes);
  write_text(dir_ + "/blobs/sha256/" + digest.substr(7), bytes);
  return {media_type, digest, bytes.size(), {}, {}};
}

BuiltImage OciLayout::add_image(const std::vector<LayerBlob>& layers, const std::string& arch,
                                const std::string& extra_config_field) {
  BuiltImage img;
  std::vector<std::string> diff_ids;
  for (const auto& l : layers) {
    std::string type(l.compression == Compression::Gzip   ? airgap::media::kOciLayerGzip
                     : l.compression == Compression::Zstd ? airgap::media::kOciLayerZstd
                                                          : airgap::media::kOciLayer);
    img.layers.push_back(add_blob(type, l.bytes));
    diff_ids.push_back(l.diff_id);
  }
  img.config_json = image_config_json(diff_ids, arch, extra_config_field);
  img.config = add_blob(std::string(airgap::media::kOciConfig), img.config_json);
  airgap::Manifest m;
  m.media_type = std::string(airgap::media::kOciManifest);
  m.config = img.config;
  m.layers = img.layers;
  img.manifest_json = airgap::manifest_to_json(m);
  img.manifest = add_blob(m.media_type, img.manifest_json);
  return img;
}

airgap::Descriptor OciLayout::add_index(
    const std::vector<std::pair<BuiltImage, std::string>>& by_arch) {
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& [img, arch] : by_arch) {
    airgap::Descriptor d = img.manifest;
    d.platform = airgap::Platform{"linux", arch, ""};
    manifests.push_back(d.to_json());
  }
  nlohmann::json idx = {
      {"schemaVersion", 2}, {"mediaType", airgap::media::kOciIndex}, {"manifests", manifests}};
  return add_blob(std::string(airgap::media::kOciIndex), idx.dump());
}

void OciLayout::list(airgap::Descriptor d, const std::string& name, bool containerd_name) {
  if (!name.empty()) {
    if (containerd_name) d.annotations["io.containerd.image.name"] = name;
    std::string tag = name.substr(name.find_last_of(':') + 1);
    d.annotations["org.opencontainers.image.ref.name"] = containerd_name ? tag : name;
  }
  index_.push_back(std::move(d));
}

void OciLayout::finish() const {
  write_text(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& d : index_) manifests.push_back(d.to_json());
  nlohmann::json idx = {
      {"schemaVersion", 2}, {"mediaType", airgap::media::kOciIndex}, {"manifests", manifests}};
  write_text(dir_ + "/index.json", idx.dump());
}

void write_docker_archive(const std::string& path, const std::vector<DockerImage>& images,
                          Compression c) {
  std::vector<TarEntry> entries;
  std::set<std::string> written;
  nlohmann::json manifest = nlohmann::json::array();
  for (const auto& img : images) {
    std::vector<std::string> diff_ids;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& tar : img.layer_tars) {
      std::string d = sha(tar);
      diff_ids.push_back(d);
      std::string dir = d.substr(7);
      layers.push_back(dir + "/layer.tar");
      if (!written.insert(dir).second) continue;
      entries.push_back({TarEntry::Type::Directory, dir, "", 0755});
      entries.push_back({TarEntry::Type::File, dir + "/VERSION", "1.0"});
      entries.push_back({TarEntry::Type::File, dir + "/layer.tar", tar});
    }
    std::string config = image_config_json(diff_ids, img.arch);
    std::string config_name = sha256_hex(config) + ".json";
    entries.push_back({TarEntry::Type::File, config_name, config});
    manifest.push_back({{"Config", config_name}, {"RepoTags", img.repo_tags}, {"Layers", layers}});
  }
  entries.push_back({TarEntry::Type::File, "manifest.json", manifest.dump()});
  write_tar(path, entries, c);
}

}  // namespace kiln::test
