// RAII for zlib inflate streams (gzip and zlib formats).
#pragma once

#include <zlib.h>

#include <string>

#include "util/error.hpp"

namespace kiln {

class InflateStream {
 public:
  // `window_bits` as inflateInit2 takes them: 16 + MAX_WBITS reads gzip only.
  explicit InflateStream(int window_bits) {
    if (inflateInit2(&z_, window_bits) != Z_OK) {
      throw Error(std::string("initialise zlib: ") +
                  (z_.msg != nullptr ? z_.msg : "out of memory"));
    }
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  ~InflateStream() { inflateEnd(&z_); }

  z_stream* get() { return &z_; }

 private:
  z_stream z_{};
};

}  // namespace kiln
