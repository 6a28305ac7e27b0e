#include "airgap/pack.hpp"

#include <cstring>
#include <map>
#include <set>

#include "airgap/exit_codes.hpp"
#include "airgap/oci_archive_writer.hpp"
#include "util/atomic_file.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

std::string image_list_path(const std::string& archive) {
  for (const char* ext : {".tar.zst", ".tzst", ".tar"}) {
    if (ends_with(archive, ext)) return archive.substr(0, archive.size() - strlen(ext)) + ".txt";
  }
  return archive + ".txt";
}

PackResult pack_images(const std::vector<ImageSource*>& sources, const std::string& output,
                       const PackOptions& options) {
  check_zstd_options(options.zstd);
  PackResult result;
  result.archive = output;
  result.list = image_list_path(output);

  // Check names and count the work before writing anything.
  std::map<std::string, std::pair<std::string, std::string>> seen;  // name -> (digest, source)
  std::set<std::string> unique_blobs;
  uint64_t total = 0;
  for (ImageSource* s : sources) {
    for (const Image& img : s->images()) {
      if (img.names.empty()) {
        throw Error("image '" + img.label +
                        "' has no name, so RKE2 could not refer to it (name images with "
                        "io.containerd.image.name or a full org.opencontainers.image.ref.name)",
                    kExitInvalid);
      }
      for (const auto& name : img.names) {
        auto [it, fresh] = seen.emplace(name, std::make_pair(img.manifest.digest, s->path()));
        if (!fresh && it->second.first != img.manifest.digest) {
          throw Error("image '" + name + "' is " + it->second.first + " in '" + it->second.second +
                          "' but " + img.manifest.digest + " in '" + s->path() + "'",
                      kExitInvalid);
        }
        if (fresh) result.images.push_back({name, img.manifest.digest, img.size(), s->path()});
      }
      result.image_bytes += img.size();
      for (const Descriptor* d : {&img.manifest, &img.parsed.config}) {
        if (unique_blobs.insert(d->digest).second) result.stored_bytes += d->size;
      }
      for (const auto& l : img.parsed.layers) {
        if (unique_blobs.insert(l.digest).second) {
          total += l.size;
          result.stored_bytes += l.size;
        }
      }
    }
  }

  OciArchiveWriter writer(output, options.zstd);
  uint64_t done = 0;
  auto progress = [&](uint64_t n) {
    done += n;
    if (options.progress) options.progress(done, total);
  };
  for (ImageSource* s : sources) {
    std::vector<Descriptor> layers;
    for (const Image& img : s->images()) {
      writer.add_blob(img.parsed.config, img.config_json);
      writer.add_blob(img.manifest, img.manifest_json);
      writer.add_image(img.names, img.manifest);
      for (const auto& l : img.parsed.layers) {
        if (!writer.has_blob(l.digest)) layers.push_back(l);
      }
    }
    s->read_blobs(layers, [&](const Descriptor& d, InputStream& in) {
      throw_if_interrupted();
      writer.add_blob(d, in, progress);
    });
  }
  std::string list;
  for (const auto& img : result.images) list += img.name + "\n";
  AtomicFile list_file(result.list, 0644);
  list_file.write(list);
  writer.commit();
  list_file.commit();
  result.output_bytes = writer.bytes_written();
  return result;
}

}  // namespace kiln::airgap
