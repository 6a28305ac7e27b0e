// Writes an oci-archive: a tar holding an OCI image layout (oci-layout,
// index.json, blobs/sha256/<hex>), plain or zstd-compressed by the output's
// name. This is the format containerd's importer (`ctr images import`, and
// RKE2's agent/images loader built on it) reads natively: blobs keep their
// digests, so nothing is recompressed on the node. Each blob is stored once
// however many images share it. The file appears only on commit().
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "airgap/oci_json.hpp"
#include "airgap/streams.hpp"
#include "airgap/zstd_writer.hpp"
#include "util/archive_ptr.hpp"
#include "util/atomic_file.hpp"

namespace kiln::airgap {

enum class OutputCompression { None, Zstd };
// By name: .tar.zst/.tzst -> zstd, .tar -> none; anything else throws (exit 2).
OutputCompression output_compression(const std::string& path);

class OciArchiveWriter {
 public:
  OciArchiveWriter(const std::string& path, const ZstdOptions& zstd);
  OciArchiveWriter(const OciArchiveWriter&) = delete;
  OciArchiveWriter& operator=(const OciArchiveWriter&) = delete;
  ~OciArchiveWriter();

  [[nodiscard]] bool has_blob(const std::string& digest) const { return blobs_.count(digest) != 0; }
  // A small blob from memory (manifest, config).
  void add_blob(const Descriptor& d, std::string_view bytes);
  // A blob streamed from `in`, which must yield exactly d.size bytes.
  void add_blob(const Descriptor& d, InputStream& in,
                const std::function<void(uint64_t)>& progress);
  // Lists the manifest in index.json under each name.
  void add_image(const std::vector<std::string>& names, const Descriptor& manifest);
  void commit();
  // Bytes of the file written so far (compressed when compressing).
  [[nodiscard]] uint64_t bytes_written() const { return written_; }

 private:
  friend la_ssize_t oci_archive_write_callback(struct archive*, void*, const void*, size_t);
  void header(const std::string& name, uint64_t size, bool directory);
  void write_data(const void* data, size_t size);
  void sink(const void* data, size_t size);

  std::string path_;
  AtomicFile file_;
  std::unique_ptr<ZstdWriter> zstd_;
  ArchivePtr tar_;
  std::set<std::string> blobs_;
  std::vector<Descriptor> index_;
  uint64_t written_ = 0;
  std::exception_ptr callback_error_;
  bool committed_ = false;
  bool discarding_ = false;
};

}  // namespace kiln::airgap
