#include "airgap/oci_archive_writer.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "airgap/digest.hpp"
#include "airgap/exit_codes.hpp"
#include "airgap/image_ref.hpp"
#include "airgap/media_types.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

la_ssize_t oci_archive_write_callback(struct archive* a, void* client, const void* buf, size_t n) {
  auto* self = static_cast<OciArchiveWriter*>(client);
  try {
    self->sink(buf, n);
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    // libarchive is C: keep the exception until control is back in C++.
    self->callback_error_ = std::current_exception();
    archive_set_error(a, EIO, "write failed");
    return -1;
  }
}

OutputCompression output_compression(const std::string& path) {
  if (ends_with(path, ".tar.zst") || ends_with(path, ".tzst")) return OutputCompression::Zstd;
  if (ends_with(path, ".tar")) return OutputCompression::None;
  throw Error("output '" + path + "' must end in .tar.zst (zstd) or .tar (uncompressed)",
              kExitInvalid);
}

OciArchiveWriter::OciArchiveWriter(const std::string& path, const ZstdOptions& zstd)
    : path_(path), file_(path, 0644) {
  if (output_compression(path) == OutputCompression::Zstd) {
    zstd_ = std::make_unique<ZstdWriter>(file_.fd(), path, zstd);
  }
  tar_ = new_archive_writer();
  archive_write_set_format_pax_restricted(tar_.get());
  // Unblocked: every write goes straight to the callback.
  archive_write_set_bytes_per_block(tar_.get(), 0);
  if (archive_write_open(tar_.get(), this, nullptr, oci_archive_write_callback, nullptr) !=
      ARCHIVE_OK) {
    archive_check(tar_.get(), ARCHIVE_FATAL, "write", path_);
  }
  std::string layout = R"({"imageLayoutVersion":"1.0.0"})";
  header("oci-layout", layout.size(), false);
  write_data(layout.data(), layout.size());
}

OciArchiveWriter::~OciArchiveWriter() {
  // Freeing an open libarchive writer closes it, which would push the end of
  // the tar through the compressor into a file that is about to be removed.
  discarding_ = !committed_;
  tar_.reset();
}

void OciArchiveWriter::sink(const void* data, size_t size) {
  if (discarding_) return;
  if (zstd_) {
    zstd_->write(data, size);
    written_ = zstd_->bytes_out();
  } else {
    write_all(file_.fd(), std::string_view(static_cast<const char*>(data), size), path_);
    written_ += size;
  }
}

void OciArchiveWriter::write_data(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    la_ssize_t n = archive_write_data(tar_.get(), p, size);
    if (n <= 0) {
      if (callback_error_) std::rethrow_exception(callback_error_);
      archive_check(tar_.get(), ARCHIVE_FATAL, "write", path_);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void OciArchiveWriter::header(const std::string& name, uint64_t size, bool directory) {
  ArchiveEntryPtr e = new_archive_entry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), directory ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e.get(), directory ? 0755 : 0644);
  archive_entry_set_size(e.get(), directory ? 0 : static_cast<la_int64_t>(size));
  archive_entry_set_mtime(e.get(), 0, 0);
  if (archive_write_header(tar_.get(), e.get()) != ARCHIVE_OK) {
    if (callback_error_) std::rethrow_exception(callback_error_);
    archive_check(tar_.get(), ARCHIVE_FATAL, "write", path_);
  }
}

void OciArchiveWriter::add_blob(const Descriptor& d, std::string_view bytes) {
  if (!blobs_.insert(d.digest).second) return;
  if (blobs_.size() == 1) {
    header("blobs", 0, true);
    header("blobs/sha256", 0, true);
  }
  header("blobs/sha256/" + digest_hex(d.digest, "blob"), bytes.size(), false);
  write_data(bytes.data(), bytes.size());
}

void OciArchiveWriter::add_blob(const Descriptor& d, InputStream& in,
                                const std::function<void(uint64_t)>& progress) {
  if (!blobs_.insert(d.digest).second) return;
  if (blobs_.size() == 1) {
    header("blobs", 0, true);
    header("blobs/sha256", 0, true);
  }
  header("blobs/sha256/" + digest_hex(d.digest, "blob"), d.size, false);
  uint64_t done = 0;
  pump(in, [&](const char* data, size_t n) {
    write_data(data, n);
    done += n;
    if (progress) progress(n);
  });
  // A short stream fails verification in the caller; never leave a
  // half-declared member behind silently.
  if (done != d.size) {
    throw Error("write '" + path_ + "': blob " + d.digest + " ended after " + std::to_string(done) +
                    " of " + std::to_string(d.size) + " bytes",
                kExitVerification);
  }
}

void OciArchiveWriter::add_image(const std::vector<std::string>& names,
                                 const Descriptor& manifest) {
  for (const auto& name : names) {
    Descriptor d{manifest.media_type, manifest.digest, manifest.size, {}, {}};
    d.annotations["io.containerd.image.name"] = name;
    auto ref = try_parse_image_ref(name);
    d.annotations["org.opencontainers.image.ref.name"] = ref ? ref->ref_name() : name;
    index_.push_back(std::move(d));
  }
}

void OciArchiveWriter::commit() {
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& d : index_) manifests.push_back(d.to_json());
  std::string index =
      nlohmann::json(
          {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", manifests}})
          .dump();
  header("index.json", index.size(), false);
  write_data(index.data(), index.size());
  if (archive_write_close(tar_.get()) != ARCHIVE_OK) {
    if (callback_error_) std::rethrow_exception(callback_error_);
    archive_check(tar_.get(), ARCHIVE_FATAL, "write", path_);
  }
  if (zstd_) {
    zstd_->finish();
    written_ = zstd_->bytes_out();
  }
  file_.commit();
  committed_ = true;
}

}  // namespace kiln::airgap
