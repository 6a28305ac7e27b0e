#include "builder/seed_image.hpp"

#include <fcntl.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/qemu_seed.hpp"
#include "util/archive_ptr.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {
namespace {

struct NamedFile {
  const char* name;
  const std::string* data;
};

std::vector<NamedFile> seed_entries(const SeedFiles& files) {
  std::vector<NamedFile> out{{"meta-data", &files.meta_data}, {"user-data", &files.user_data}};
  if (files.network_config) out.push_back({"network-config", &*files.network_config});
  return out;
}

// vfat through builder/qemu_seed (mkfs.vfat + mtools on a plain file): the
// files are staged in a private (0700) directory next to the output.
void write_vfat(const SeedFiles& files, const std::string& temp_dir, const std::string& image,
                int64_t epoch) {
  const std::string staged = path_join(temp_dir, "files");
  mkdir_p(staged, 0700);
  for (const NamedFile& f : seed_entries(files)) {
    write_file_atomic(path_join(staged, f.name), *f.data, 0600);
  }
  make_seed_image(staged, image, epoch, kSeedLabel);
}

// libarchive writes the primary volume id in d-characters (upper case), so
// a seed would say CIDATA where genisoimage, and cloud-localds with it,
// writes cidata. The primary volume descriptor (sector 16: type 1, "CD001")
// holds the id in bytes 40..71, space-padded; it is set here, as
// genisoimage sets it. (The Joliet descriptor already says cidata.)
void set_primary_volume_id(int fd, const std::string& image, const std::string& id) {
  constexpr off_t kDescriptor = 16 * 2048;
  unsigned char head[6] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, kDescriptor);
  if (n < 0) throw_errno("read", image);
  if (n != static_cast<ssize_t>(sizeof head) || head[0] != 1 ||
      std::string_view(reinterpret_cast<char*>(head) + 1, 5) != "CD001") {
    throw Error("make seed image '" + image + "': no ISO 9660 primary volume descriptor");
  }
  std::string field = id;
  field.resize(32, ' ');
  if (::pwrite(fd, field.data(), field.size(), kDescriptor + 40) !=
      static_cast<ssize_t>(field.size())) {
    throw_errno("write", image);
  }
}

// ISO 9660 with Rock Ridge (names and modes) and Joliet, volume id cidata:
// what genisoimage -volid cidata -joliet -rock writes for cloud-localds.
void write_iso9660(const SeedFiles& files, const std::string& image, int64_t epoch) {
  UniqueFd out = open_file(image, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ArchivePtr a = new_archive_writer();
  archive_check(a.get(), archive_write_set_format_iso9660(a.get()), "make seed image", image);
  archive_check(a.get(), archive_write_set_options(a.get(), "volume-id=cidata,rockridge,joliet"),
                "make seed image", image);
  archive_check(a.get(), archive_write_open_fd(a.get(), out.get()), "make seed image", image);
  for (const NamedFile& f : seed_entries(files)) {
    ArchiveEntryPtr e = new_archive_entry();
    archive_entry_set_pathname(e.get(), f.name);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0400);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.data->size()));
    archive_entry_set_mtime(e.get(), epoch, 0);
    archive_entry_set_atime(e.get(), epoch, 0);
    archive_entry_set_ctime(e.get(), epoch, 0);
    archive_check(a.get(), archive_write_header(a.get(), e.get()), "make seed image", image);
    if (!f.data->empty() && archive_write_data(a.get(), f.data->data(), f.data->size()) !=
                                static_cast<la_ssize_t>(f.data->size())) {
      archive_check(a.get(), ARCHIVE_FATAL, "make seed image", image);
    }
  }
  // The ISO writer lays the volume out on close; its errors surface here.
  archive_check(a.get(), archive_write_close(a.get()), "make seed image", image);
  set_primary_volume_id(out.get(), image, kSeedLabel);
  if (::fsync(out.get()) != 0) throw_errno("sync", image);
}

}  // namespace

std::optional<SeedFormat> parse_seed_format(const std::string& name) {
  if (name == "vfat") return SeedFormat::Vfat;
  if (name == "iso9660" || name == "iso") return SeedFormat::Iso9660;
  return std::nullopt;
}

void write_seed_image(const SeedFiles& files, const std::string& out, SeedFormat format,
                      int64_t epoch) {
  const std::string target = absolute_path(out);
  if (is_directory(target)) {
    throw Error("write seed image '" + target + "': it is a directory", kExitInvalid);
  }
  if (!is_directory(dirname_of(target))) {
    throw Error(
        "write seed image '" + target + "': directory '" + dirname_of(target) + "' does not exist",
        kExitMissingInput, ENOENT);
  }
  // A private directory beside the output: the rename stays on one file
  // system, and a failure or an interrupt leaves nothing at `out`.
  TempDir temp(dirname_of(target), "." + basename_of(target) + ".kiln-seed");
  const std::string image = path_join(temp.path(), "seed.img");
  if (format == SeedFormat::Vfat) {
    write_vfat(files, temp.path(), image, epoch);
  } else {
    write_iso9660(files, image, epoch);
  }
  if (::chmod(image.c_str(), 0600) != 0) throw_errno("chmod", image);
  rename_durable(image, target);
}

}  // namespace kiln
