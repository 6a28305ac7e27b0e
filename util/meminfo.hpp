// How much memory the kernel says can be used without swapping.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln {

// The MemAvailable line of a /proc/meminfo text, in bytes.
std::optional<uint64_t> parse_mem_available(std::string_view meminfo);
// MemAvailable of this machine; nullopt when /proc/meminfo cannot be read.
std::optional<uint64_t> memory_available_bytes();

}  // namespace kiln
