#include "util/fat_volume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr size_t kDirEntryBytes = 32;
// FAT allows 65536 entries per directory; anything longer is corrupt.
constexpr uint64_t kMaxDirectoryBytes = 65536 * kDirEntryBytes;
// A FAT larger than this belongs to a volume far bigger than any this reader
// is for; reading it whole would only waste memory.
constexpr uint64_t kMaxFatBytes = 64ULL << 20;

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

bool power_of_two(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A long name is UTF-16, ended by 0x0000 and padded with 0xFFFF.
std::string utf16_to_utf8(const std::vector<char16_t>& units) {
  std::string out;
  for (size_t i = 0; i < units.size() && units[i] != 0; ++i) {
    uint32_t u = units[i];
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] < 0xE000) {
      u = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (u >= 0xD800 && u < 0xE000) {
      u = 0xFFFD;  // a lone surrogate
    }
    append_utf8(out, u);
  }
  return out;
}

// The 8.3 name, lower-cased where the entry's case bits (set by Windows NT
// and mtools for names that fit 8.3 in lower case) say so.
std::string short_name(const uint8_t* e) {
  auto part = [&](size_t from, size_t len, bool lower) {
    std::string s(reinterpret_cast<const char*>(e + from), len);
    if (from == 0 && static_cast<uint8_t>(s[0]) == 0x05) s[0] = static_cast<char>(0xE5);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (lower) s = ascii_lower(s);
    return s;
  };
  std::string base = part(0, 8, (e[12] & 0x08) != 0);
  std::string ext = part(8, 3, (e[12] & 0x10) != 0);
  return ext.empty() ? base : base + "." + ext;
}

uint8_t short_name_checksum(const uint8_t* e) {
  uint8_t sum = 0;
  for (int i = 0; i < 11; ++i) sum = static_cast<uint8_t>(((sum & 1) << 7) + (sum >> 1) + e[i]);
  return sum;
}

// Collects the long-name entries that precede a short entry, in reverse order
// (the last part first, flagged 0x40), and checks they belong to it.
class LongName {
 public:
  void add(const uint8_t* e) {
    const int seq = e[0] & 0x1F;
    if ((e[0] & 0x40) != 0) {
      units_.assign(static_cast<size_t>(seq) * 13, 0xFFFF);
      checksum_ = e[13];
      expected_ = seq;
    }
    if (seq == 0 || seq != expected_ || e[13] != checksum_) {
      reset();
      return;
    }
    static constexpr int kOffsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    for (size_t k = 0; k < 13; ++k) {
      units_[static_cast<size_t>(seq - 1) * 13 + k] = static_cast<char16_t>(le16(e + kOffsets[k]));
    }
    --expected_;
  }
  // The long name when it is complete and matches the short entry `e`.
  std::optional<std::string> take(const uint8_t* e) {
    std::optional<std::string> name;
    if (!units_.empty() && expected_ == 0 && checksum_ == short_name_checksum(e))
      name = utf16_to_utf8(units_);
    reset();
    return name;
  }
  void reset() {
    units_.clear();
    expected_ = -1;
  }

 private:
  std::vector<char16_t> units_;
  uint8_t checksum_ = 0;
  int expected_ = -1;
};

}  // namespace

FatVolume::FatVolume(std::string path) : path_(std::move(path)) {
  fd_ = open_file(path_, O_RDONLY | O_CLOEXEC);
  const std::string boot = read_at(0, 512);
  const auto* b = reinterpret_cast<const uint8_t*>(boot.data());
  if (b[510] != 0x55 || b[511] != 0xAA) corrupt("no boot sector signature");
  bytes_per_sector_ = le16(b + 11);
  const uint32_t sectors_per_cluster = b[13];
  const uint32_t reserved = le16(b + 14);
  const uint32_t fats = b[16];
  root_entries_ = le16(b + 17);
  const uint64_t total = le16(b + 19) != 0 ? le16(b + 19) : le32(b + 32);
  const uint64_t fat_sectors = le16(b + 22) != 0 ? le16(b + 22) : le32(b + 36);
  if (!power_of_two(bytes_per_sector_) || bytes_per_sector_ < 512 || bytes_per_sector_ > 4096)
    corrupt("bad sector size " + std::to_string(bytes_per_sector_));
  if (!power_of_two(sectors_per_cluster)) corrupt("bad cluster size");
  if (reserved == 0 || fats == 0 || fat_sectors == 0) corrupt("bad layout in the boot sector");
  cluster_bytes_ = bytes_per_sector_ * sectors_per_cluster;

  const uint64_t root_sectors =
      (uint64_t{root_entries_} * kDirEntryBytes + bytes_per_sector_ - 1) / bytes_per_sector_;
  const uint64_t first_data_sector = reserved + fats * fat_sectors + root_sectors;
  if (total <= first_data_sector) corrupt("no room for data after the FATs");
  const uint64_t clusters = (total - first_data_sector) / sectors_per_cluster;
  if (clusters == 0 || clusters > 0x0FFFFFF5) corrupt("bad cluster count");
  cluster_count_ = static_cast<uint32_t>(clusters);
  // The type follows from the cluster count alone (Microsoft's FAT spec).
  fat_bits_ = cluster_count_ < 4085 ? 12 : (cluster_count_ < 65525 ? 16 : 32);
  if (fat_bits_ == 32) {
    root_cluster_ = le32(b + 44);
    root_entries_ = 0;
  } else if (root_entries_ == 0) {
    corrupt("a FAT" + std::to_string(fat_bits_) + " volume without a root directory");
  }
  root_offset_ = (reserved + fats * fat_sectors) * uint64_t{bytes_per_sector_};
  data_offset_ = first_data_sector * bytes_per_sector_;

  const uint64_t entries = uint64_t{cluster_count_} + 2;
  const uint64_t needed = fat_bits_ == 12 ? entries * 3 / 2 + 1 : entries * (fat_bits_ / 8);
  if (needed > fat_sectors * bytes_per_sector_) corrupt("the FAT is smaller than its volume");
  if (needed > kMaxFatBytes) corrupt("the FAT is larger than " + human_bytes(kMaxFatBytes));
  const std::string fat = read_at(uint64_t{reserved} * bytes_per_sector_, needed);
  fat_.assign(fat.begin(), fat.end());
}

void FatVolume::corrupt(const std::string& reason) const {
  throw Error("read FAT file system '" + path_ + "': " + reason, 1, EINVAL);
}

std::string FatVolume::read_at(uint64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n =
        ::pread(fd_.get(), out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path_);
    }
    if (n == 0)
      corrupt("it ends at byte " + std::to_string(offset + done) + ", inside the file system");
    done += static_cast<size_t>(n);
  }
  return out;
}

uint32_t FatVolume::next_cluster(uint32_t cluster) const {
  if (fat_bits_ == 12) {
    const size_t off = cluster + cluster / 2;
    const uint16_t v = le16(fat_.data() + off);
    return (cluster & 1) != 0 ? v >> 4 : v & 0x0FFF;
  }
  if (fat_bits_ == 16) return le16(fat_.data() + size_t{cluster} * 2);
  return le32(fat_.data() + size_t{cluster} * 4) & 0x0FFFFFFF;
}

std::vector<uint32_t> FatVolume::chain(uint32_t first, uint64_t max_clusters) {
  const uint32_t end_mark = fat_bits_ == 12 ? 0xFF8 : (fat_bits_ == 16 ? 0xFFF8 : 0x0FFFFFF8);
  std::vector<uint32_t> out;
  std::vector<bool> seen(size_t{cluster_count_} + 2);
  uint32_t c = first;
  while (out.size() < max_clusters) {
    if (c < 2 || c > cluster_count_ + 1)
      corrupt("cluster " + std::to_string(c) + " is outside the volume");
    if (seen[c]) corrupt("a cluster chain loops");
    seen[c] = true;
    out.push_back(c);
    c = next_cluster(c);
    if (c >= end_mark) break;
  }
  return out;
}

std::string FatVolume::read_clusters(const std::vector<uint32_t>& clusters, uint64_t bytes) {
  std::string out;
  out.reserve(bytes);
  // Adjacent clusters are read in one go.
  for (size_t i = 0; i < clusters.size() && out.size() < bytes;) {
    size_t run = 1;
    while (i + run < clusters.size() && clusters[i + run] == clusters[i] + run) ++run;
    const uint64_t want = std::min<uint64_t>(uint64_t{run} * cluster_bytes_, bytes - out.size());
    out += read_at(data_offset_ + uint64_t{clusters[i] - 2} * cluster_bytes_, want);
    i += run;
  }
  if (out.size() < bytes) corrupt("a cluster chain is shorter than its file");
  return out;
}

std::vector<FatVolume::Entry> FatVolume::list_directory(const Entry* dir) {
  std::string raw;
  if (dir == nullptr && fat_bits_ != 32) {
    raw = read_at(root_offset_, size_t{root_entries_} * kDirEntryBytes);
  } else {
    const uint32_t first = dir == nullptr ? root_cluster_ : dir->first_cluster;
    const uint64_t max_clusters = std::max<uint64_t>(1, kMaxDirectoryBytes / cluster_bytes_);
    auto clusters = chain(first, max_clusters + 1);
    if (clusters.size() > max_clusters) corrupt("a directory has more than 65536 entries");
    raw = read_clusters(clusters, uint64_t{clusters.size()} * cluster_bytes_);
  }
  std::vector<Entry> entries;
  LongName long_name;
  for (size_t off = 0; off + kDirEntryBytes <= raw.size(); off += kDirEntryBytes) {
    const auto* e = reinterpret_cast<const uint8_t*>(raw.data() + off);
    if (e[0] == 0x00) break;  // no entries after this one
    if (e[0] == 0xE5) {       // deleted
      long_name.reset();
      continue;
    }
    const uint8_t attr = e[11];
    if ((attr & 0x3F) == 0x0F) {
      long_name.add(e);
      continue;
    }
    auto lfn = long_name.take(e);
    if ((attr & 0x08) != 0) continue;  // the volume label
    Entry entry;
    entry.name = lfn ? *lfn : short_name(e);
    if (entry.name == "." || entry.name == "..") continue;
    entry.directory = (attr & 0x10) != 0;
    entry.first_cluster = le16(e + 26) | (fat_bits_ == 32 ? uint32_t{le16(e + 20)} << 16 : 0U);
    entry.size = le32(e + 28);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<FatVolume::Entry> FatVolume::lookup(std::string_view path) {
  Entry root;
  root.directory = true;
  std::optional<Entry> current = root;
  bool at_root = true;
  for (const auto& part : split(std::string(path), '/')) {
    if (part.empty() || part == ".") continue;
    if (!current->directory) return std::nullopt;
    auto entries = list_directory(at_root ? nullptr : &*current);
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return iequals_ascii(e.name, part); });
    if (it == entries.end()) return std::nullopt;
    current = *it;
    at_root = false;
  }
  return current;
}

bool FatVolume::exists(std::string_view path) {
  return lookup(path).has_value();
}

std::optional<std::string> FatVolume::read(std::string_view path, size_t max_bytes) {
  auto e = lookup(path);
  if (!e || e->directory) return std::nullopt;
  if (e->size > max_bytes) {
    throw Error("read '" + path_ + ":" + std::string(path) + "': file is larger than " +
                    human_bytes(max_bytes),
                1, EFBIG);
  }
  if (e->size == 0) return std::string();
  const uint64_t clusters = (uint64_t{e->size} + cluster_bytes_ - 1) / cluster_bytes_;
  return read_clusters(chain(e->first_cluster, clusters), e->size);
}

}  // namespace kiln
