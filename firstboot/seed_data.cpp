#include "firstboot/seed_data.hpp"

#include <fcntl.h>

#include <cerrno>

#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::optional<SeedFile> read_one(const SeedFiles& files, const std::string& display,
                                 const std::string& file, size_t limit, bool required,
                                 SeedData& seed) {
  const std::string shown = display.empty() ? file : display + "/" + file;
  try {
    auto data = files.read(file, limit);
    if (!data) {
      if (required)
        seed.read_problems.push_back(
            {shown, 0, 0, "missing (a NoCloud seed needs user-data and meta-data)", false});
      return std::nullopt;
    }
    return SeedFile{shown, std::move(*data)};
  } catch (const Error& e) {
    if (e.err() != EFBIG) throw;
    seed.read_problems.push_back(
        {shown, 0, 0, "is larger than " + human_bytes(limit) + " (the limit)", false});
    return std::nullopt;
  }
}

}  // namespace

SeedFiles dir_seed_files(const std::string& dir) {
  return SeedFiles{
      .read = [dir](const std::string& rel,
                    size_t limit) { return read_file_if_exists(dir + "/" + rel, limit); },
      .exists = [dir](const std::string& rel) { return path_exists(dir + "/" + rel); },
      .prefetch =
          [dir](const std::vector<std::string>& rels) {
            for (const auto& rel : rels) {
              // O_NONBLOCK: a FIFO planted in a seed must not hang the probe.
              UniqueFd fd(
                  ::open((dir + "/" + rel).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
              if (fd) (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_WILLNEED);
            }
          },
  };
}

SeedData read_seed_files(const SeedFiles& files, const std::string& display) {
  SeedData seed;
  seed.source = "seed";
  if (files.prefetch) files.prefetch({"user-data", "meta-data", "network-config"});
  if (auto ud = read_one(files, display, "user-data", kMaxUserDataBytes, true, seed))
    seed.user_data = *ud;
  else
    seed.user_data.name = display.empty() ? "user-data" : display + "/user-data";
  seed.meta_data = read_one(files, display, "meta-data", kMaxMetaDataBytes, true, seed);
  seed.network_config =
      read_one(files, display, "network-config", kMaxNetworkConfigBytes, false, seed);
  return seed;
}

SeedData read_seed_dir(const std::string& dir, const std::string& display) {
  if (!is_directory(dir)) {
    if (!path_exists(dir)) throw_errno("open seed directory", dir, ENOENT);
    throw_errno("open seed directory", dir, ENOTDIR);
  }
  SeedData seed = read_seed_files(dir_seed_files(dir), display);
  seed.location = dir;
  return seed;
}

}  // namespace kiln::firstboot
