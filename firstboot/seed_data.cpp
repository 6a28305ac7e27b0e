#include "firstboot/seed_data.hpp"

#include <cerrno>

#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

std::optional<SeedFile> read_one(const std::string& dir, const std::string& display,
                                 const std::string& file, size_t limit, bool required,
                                 SeedData& seed) {
  const std::string shown = display.empty() ? file : display + "/" + file;
  try {
    auto data = read_file_if_exists(dir + "/" + file, limit);
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

SeedData read_seed_dir(const std::string& dir, const std::string& display) {
  if (!is_directory(dir)) {
    if (!path_exists(dir)) throw_errno("open seed directory", dir, ENOENT);
    throw_errno("open seed directory", dir, ENOTDIR);
  }
  SeedData seed;
  seed.source = "seed";
  seed.location = dir;
  if (auto ud = read_one(dir, display, "user-data", kMaxUserDataBytes, true, seed))
    seed.user_data = *ud;
  else
    seed.user_data.name = display.empty() ? "user-data" : display + "/user-data";
  seed.meta_data = read_one(dir, display, "meta-data", kMaxMetaDataBytes, true, seed);
  seed.network_config =
      read_one(dir, display, "network-config", kMaxNetworkConfigBytes, false, seed);
  return seed;
}

}  // namespace kiln::firstboot
