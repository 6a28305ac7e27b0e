#include "airgap/blob_store.hpp"

#include "airgap/digest.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"

namespace kiln::airgap {

BlobStore::BlobStore(std::string dir) : dir_(std::move(dir)) {
  mkdir_p(dir_ + "/blobs/sha256");
  mkdir_p(dir_ + "/partial");
  if (!path_exists(dir_ + "/oci-layout")) {
    write_file_atomic(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
}

bool BlobStore::has(const std::string& digest) const {
  return path_exists(path(digest));
}

std::string BlobStore::path(const std::string& digest) const {
  return dir_ + "/blobs/sha256/" + digest_hex(digest, "blob");
}

std::string BlobStore::partial_path(const std::string& digest) const {
  return dir_ + "/partial/" + digest_hex(digest, "blob");
}

void BlobStore::put(const std::string& digest, std::string_view bytes) const {
  write_file_atomic(path(digest), bytes, 0644);
}

std::optional<std::string> BlobStore::read(const Descriptor& d) const {
  auto text = read(d.digest);
  if (text && text->size() != d.size) {
    log_warning("cached blob " + d.digest + " in '" + dir_ +
                "' has the wrong size; fetching it again");
    remove_tree(path(d.digest));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> BlobStore::read(const std::string& digest) const {
  auto text = read_file_if_exists(path(digest), kMaxJsonBlob);
  if (!text) return std::nullopt;
  if ("sha256:" + sha256_hex(*text) != digest) {
    log_warning("cached blob " + digest + " in '" + dir_ + "' is corrupt; fetching it again");
    remove_tree(path(digest));
    return std::nullopt;
  }
  return text;
}

}  // namespace kiln::airgap
