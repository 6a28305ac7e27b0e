// Small string helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);

// ASCII-only case folding, the same in every locale (FAT and ISO 9660 names).
char ascii_lower(char c);
std::string ascii_lower(std::string_view s);
bool iequals_ascii(std::string_view a, std::string_view b);

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is close enough to suggest.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// `s` itself when it has at most `max` bytes; else its first max - 20 or so
// bytes (not splitting a UTF-8 sequence), "...", and "(N bytes)": a value
// quoted in a one-line error stays one readable line.
std::string abbreviate(std::string_view s, size_t max = 80);

// "1.2 GiB", "512 B".
std::string human_bytes(unsigned long long bytes);
// "850 ms", "12.3 s", "2 min 05 s".
std::string human_duration_ms(long long ms);

}  // namespace kiln
