#include "util/meminfo.hpp"

#include <charconv>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln {

std::optional<uint64_t> parse_mem_available(std::string_view meminfo) {
  for (const std::string& line : split(meminfo, '\n')) {
    constexpr std::string_view kKey = "MemAvailable:";
    if (!line.starts_with(kKey)) continue;
    std::string_view rest = trim(std::string_view(line).substr(kKey.size()));
    uint64_t kib = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
    if (ec != std::errc() || trim(std::string_view(end, rest.data() + rest.size() - end)) != "kB") {
      return std::nullopt;
    }
    if (kib > (UINT64_MAX >> 10)) return std::nullopt;
    return kib << 10;
  }
  return std::nullopt;
}

std::optional<uint64_t> memory_available_bytes() {
  try {
    return parse_mem_available(read_file("/proc/meminfo", 1 << 20));
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace kiln
