// Builders for test inputs: layer tarballs, OCI image layouts, oci-archives
// and docker-archives, made in C++ from small synthetic files or from
// Debian's busybox-static, so tests never need a registry or a network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "airgap/oci_json.hpp"

namespace kiln::test {

enum class Compression { None, Gzip, Zstd };

struct TarEntry {
  enum class Type { File, Directory, Symlink, Hardlink };
  TarEntry(Type t, std::string n, std::string c = "", unsigned m = 0644)
      : type(t), name(std::move(n)), content(std::move(c)), mode(m) {}
  Type type = Type::File;
  std::string name;
  std::string content;  // file data, or the link target
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
  std::map<std::string, std::string> xattrs;
};

// A tar (pax) with the entries, compressed as asked, in memory.
std::string make_tar(const std::vector<TarEntry>& entries, Compression c = Compression::None);
// Writes a tar file from the entries.
void write_tar(const std::string& path, const std::vector<TarEntry>& entries,
               Compression c = Compression::None);
// Every file under `dir` into a tar at `path` (an oci-archive from a layout).
void tar_directory(const std::string& dir, const std::string& path,
                   Compression c = Compression::None);

// A layer holding /bin/busybox (from busybox-static) and the usual applets
// as symlinks, so containers can run `sh -c`.
std::string busybox_layer(Compression c = Compression::Gzip);

struct LayerBlob {
  std::string bytes;
  Compression compression = Compression::Gzip;
  std::string diff_id;  // sha256 of the uncompressed tar
};
LayerBlob make_layer(const std::vector<TarEntry>& entries, Compression c = Compression::Gzip);
LayerBlob layer_from_tar(std::string bytes, Compression c);

struct BuiltImage {
  airgap::Descriptor manifest;  // media type, digest, size
  airgap::Descriptor config;
  std::vector<airgap::Descriptor> layers;
  std::string manifest_json;
  std::string config_json;
};

// Writes blobs into an OCI image layout directory and keeps its index.
class OciLayout {
 public:
  explicit OciLayout(std::string dir);
  airgap::Descriptor add_blob(const std::string& media_type, const std::string& bytes);
  // Config + manifest for the layers; not yet listed in index.json.
  BuiltImage add_image(const std::vector<LayerBlob>& layers, const std::string& arch = "amd64",
                       const std::string& extra_config_field = "");
  // An index over platform manifests, stored as a blob.
  airgap::Descriptor add_index(const std::vector<std::pair<BuiltImage, std::string>>& by_arch);
  // Lists a descriptor in index.json with a name annotation ("" for none).
  void list(airgap::Descriptor d, const std::string& name, bool containerd_name = true);
  // Writes oci-layout and index.json.
  void finish() const;
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<airgap::Descriptor> index_;
};

// A docker-archive ("docker save" legacy layout: <id>/layer.tar, <hex>.json,
// manifest.json) with one entry per image.
struct DockerImage {
  std::vector<std::string> repo_tags;
  std::vector<std::string> layer_tars;  // uncompressed
  std::string arch = "amd64";
};
void write_docker_archive(const std::string& path, const std::vector<DockerImage>& images,
                          Compression c = Compression::None);

// A config JSON for the given diff_ids.
std::string image_config_json(const std::vector<std::string>& diff_ids,
                              const std::string& arch = "amd64", const std::string& extra = "");

}  // namespace kiln::test
