#include "firstboot/codec.hpp"

#include <array>
#include <cstdint>

#include "util/strings.hpp"
#include "util/zlib_ptr.hpp"

namespace kiln::firstboot {
namespace {

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

DecodeResult base64_decode(std::string_view text) {
  DecodeResult r;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int count = 0;    // symbols in the current group of four
  int padding = 0;  // '=' seen
  size_t symbols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_space(c)) continue;
    if (c == '=') {
      if (count < 2) {
        r.error = "misplaced '=' padding at offset " + std::to_string(i);
        return r;
      }
      ++padding;
      ++count;
    } else {
      int8_t v = kTable[static_cast<unsigned char>(c)];
      if (v < 0) {
        r.error = "invalid base64 character at offset " + std::to_string(i);
        return r;
      }
      if (padding > 0) {
        r.error = "data after '=' padding at offset " + std::to_string(i);
        return r;
      }
      acc = (acc << 6) | static_cast<uint32_t>(v);
      ++count;
    }
    ++symbols;
    if (count == 4) {
      if (padding == 0) {
        out.push_back(static_cast<char>((acc >> 16) & 0xFF));
        out.push_back(static_cast<char>((acc >> 8) & 0xFF));
        out.push_back(static_cast<char>(acc & 0xFF));
      } else if (padding == 1) {
        acc <<= 6;
        out.push_back(static_cast<char>((acc >> 16) & 0xFF));
        out.push_back(static_cast<char>((acc >> 8) & 0xFF));
      } else {
        acc <<= 12;
        out.push_back(static_cast<char>((acc >> 16) & 0xFF));
      }
      acc = 0;
      count = 0;
    }
  }
  if (count != 0) {
    r.error = "base64 length is not a multiple of 4 (" + std::to_string(symbols) + " symbols)";
    return r;
  }
  r.data = std::move(out);
  return r;
}

bool looks_gzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

DecodeResult gunzip(std::string_view data, size_t max_bytes) {
  DecodeResult r;
  std::string out;
  // gzip members may be concatenated (as `cat a.gz b.gz` makes them).
  while (!data.empty()) {
    InflateStream stream(16 + MAX_WBITS);
    z_stream* z = stream.get();
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z->avail_in = static_cast<uInt>(data.size());
    char buf[16384];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      z->next_out = reinterpret_cast<Bytef*>(buf);
      z->avail_out = sizeof buf;
      rc = inflate(z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        if (rc == Z_BUF_ERROR && z->avail_in == 0) {
          r.error = "truncated data";
        } else {
          r.error =
              std::string("corrupt data (") + (z->msg != nullptr ? z->msg : "inflate failed") + ")";
        }
        return r;
      }
      size_t produced = sizeof buf - z->avail_out;
      if (out.size() + produced > max_bytes) {
        r.error = "decompresses to more than " + human_bytes(max_bytes) + " (the limit)";
        r.too_large = true;
        return r;
      }
      out.append(buf, produced);
    }
    data.remove_prefix(data.size() - z->avail_in);
  }
  r.data = std::move(out);
  return r;
}

}  // namespace kiln::firstboot
