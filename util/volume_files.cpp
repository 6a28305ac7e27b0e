#include "util/volume_files.hpp"

#include <cerrno>
#include <functional>

#include "util/archive_extract.hpp"
#include "util/archive_ptr.hpp"
#include "util/error.hpp"
#include "util/fat_volume.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

// ISO 9660 names compare without case (Joliet and Rock Ridge keep it).
std::string name_key(std::string_view name) {
  return ascii_lower(archive_member_key(name));
}

class FatFiles final : public VolumeFiles {
 public:
  explicit FatFiles(const std::string& device) : volume_(device) {}
  std::optional<std::string> read(std::string_view path, size_t max_bytes) override {
    return volume_.read(path, max_bytes);
  }
  bool exists(std::string_view path) override { return volume_.exists(path); }

 private:
  FatVolume volume_;
};

// libarchive reads an ISO 9660 image as a stream of entries; a seed volume
// holds a handful of small files, so each lookup walks it again rather than
// keeping anything in memory.
class IsoFiles final : public VolumeFiles {
 public:
  explicit IsoFiles(std::string device) : device_(std::move(device)) {
    // Fails now, not at the first read, when the volume is not ISO 9660.
    (void)find("", nullptr);
  }
  std::optional<std::string> read(std::string_view path, size_t max_bytes) override {
    std::optional<std::string> data;
    find(path, [&](struct archive* a, struct archive_entry* e) {
      if (archive_entry_filetype(e) != AE_IFREG) return;
      if (archive_entry_size_is_set(e) != 0 &&
          static_cast<uint64_t>(archive_entry_size(e)) > max_bytes) {
        too_large(path, max_bytes);
      }
      std::string out;
      char buf[1 << 16];
      while (true) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0) archive_check(a, static_cast<int>(n), "read", device_);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > max_bytes) too_large(path, max_bytes);
      }
      data = std::move(out);
    });
    return data;
  }
  bool exists(std::string_view path) override {
    if (name_key(path).empty()) return true;
    return find(path, [](struct archive*, struct archive_entry*) {});
  }

 private:
  using Visit = std::function<void(struct archive*, struct archive_entry*)>;

  [[noreturn]] void too_large(std::string_view path, size_t max_bytes) const {
    throw Error("read '" + device_ + ":" + std::string(path) + "': file is larger than " +
                    human_bytes(max_bytes),
                1, EFBIG);
  }

  // Walks the entries; calls `visit` on the one named `path`. With no
  // visitor, only opens the volume and reads its first header.
  bool find(std::string_view path, const Visit& visit) {
    ArchivePtr a = new_archive_reader();
    archive_read_support_format_iso9660(a.get());
    archive_check(a.get(), archive_read_open_filename(a.get(), device_.c_str(), 1 << 16),
                  "read ISO 9660 file system", device_);
    const std::string want = name_key(path);
    struct archive_entry* e = nullptr;
    while (true) {
      int rc = archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) return false;
      archive_check(a.get(), rc, "read ISO 9660 file system", device_);
      if (!visit) return false;
      const char* name = archive_entry_pathname_utf8(e);
      if (name == nullptr) name = archive_entry_pathname(e);
      if (name != nullptr && name_key(name) == want) {
        visit(a.get(), e);
        return true;
      }
    }
  }

  std::string device_;
};

}  // namespace

std::unique_ptr<VolumeFiles> open_volume_files(const std::string& device, std::string_view fstype) {
  if (fstype == "vfat") return std::make_unique<FatFiles>(device);
  if (fstype == "iso9660") return std::make_unique<IsoFiles>(device);
  throw Error("read '" + device + "': cannot read a " + std::string(fstype) +
                  " file system without mounting it (only vfat and iso9660)",
              1, ENOTSUP);
}

}  // namespace kiln
