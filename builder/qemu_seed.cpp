#include "builder/qemu_seed.hpp"

#include <cerrno>

#include <sys/stat.h>

#include "builder/build_context.hpp"
#include "builder/fs_images.hpp"
#include "builder/partition_sizes.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln {

void make_seed_image(const std::string& dir, const std::string& out, int64_t epoch,
                     const std::string& label) {
  for (const char* required : {"user-data", "meta-data"}) {
    if (!path_exists(path_join(dir, required))) {
      throw Error("read seed '" + dir + "': no " + required +
                      " (a NoCloud seed needs user-data and meta-data)",
                  kExitMissingInput, ENOENT);
    }
  }
  std::vector<EspFile> files;
  uint64_t bytes = 0;
  for (const std::string& name : list_dir(dir)) {
    std::string path = path_join(dir, name);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_errno("stat", path);
    if (!S_ISREG(st.st_mode)) {
      throw Error("read seed '" + dir + "': '" + name +
                      "' is not a regular file; a NoCloud seed holds only files "
                      "(user-data, meta-data, network-config, vendor-data)",
                  kExitInvalid);
    }
    bytes += static_cast<uint64_t>(st.st_size);
    files.push_back({path, name});
  }
  EspOptions o;
  o.label = label;
  o.volume_id = "c1da7a00";
  o.epoch = epoch;
  o.size = align_up(bytes + bytes / 8 + 4 * kMiB, kMiB);
  make_esp(out, o, files);
}

}  // namespace kiln
