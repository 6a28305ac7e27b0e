#include "airgap/zstd_writer.hpp"

#include <unistd.h>

#include "airgap/exit_codes.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace kiln::airgap {
namespace {

void set(ZSTD_CCtx* c, ZSTD_cParameter p, int v, std::string_view what) {
  size_t rc = ZSTD_CCtx_setParameter(c, p, v);
  if (ZSTD_isError(rc) != 0) {
    throw Error("zstd: cannot set " + std::string(what) + " to " + std::to_string(v) + ": " +
                    ZSTD_getErrorName(rc),
                kExitInvalid);
  }
}

}  // namespace

void check_zstd_options(const ZstdOptions& o) {
  if (o.window_log > kMaxZstdWindowLog) {
    throw Error("zstd window log " + std::to_string(o.window_log) + " exceeds " +
                    std::to_string(kMaxZstdWindowLog) +
                    ": RKE2 rejects archives whose zstd window is over 32 MiB",
                kExitInvalid);
  }
  if (o.window_log < kMinZstdWindowLog) {
    throw Error("zstd window log " + std::to_string(o.window_log) + " is below " +
                    std::to_string(kMinZstdWindowLog),
                kExitInvalid);
  }
  if (o.level < 1 || o.level > kMaxZstdLevel) {
    throw Error(
        "zstd level " + std::to_string(o.level) + " is outside 1.." + std::to_string(kMaxZstdLevel),
        kExitInvalid);
  }
}

ZstdWriter::ZstdWriter(int fd, std::string name, const ZstdOptions& o)
    : fd_(fd), name_(std::move(name)), ctx_(ZSTD_createCCtx()) {
  check_zstd_options(o);
  if (!ctx_) throw Error("zstd: out of memory", kExitRuntime, ENOMEM);
  int workers = o.workers > 0 ? o.workers : static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  set(ctx_.get(), ZSTD_c_compressionLevel, o.level, "level");
  // The level's own window may be smaller; only ever cap it, never grow it
  // beyond what was asked.
  set(ctx_.get(), ZSTD_c_windowLog, o.window_log, "window log");
  set(ctx_.get(), ZSTD_c_checksumFlag, 1, "checksum");
  if (o.long_distance) set(ctx_.get(), ZSTD_c_enableLongDistanceMatching, 1, "long matching");
  if (workers > 1) {
    set(ctx_.get(), ZSTD_c_nbWorkers, workers, "workers");
    set(ctx_.get(), ZSTD_c_jobSize, static_cast<int>(o.job_size), "job size");
  }
  buffer_.resize(ZSTD_CStreamOutSize() * 4);
}

void ZstdWriter::drain(ZSTD_EndDirective mode, const void* data, size_t size) {
  ZSTD_inBuffer in{data, size, 0};
  while (true) {
    ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
    size_t left = ZSTD_compressStream2(ctx_.get(), &out, &in, mode);
    if (ZSTD_isError(left) != 0) {
      throw Error("compress '" + name_ + "': " + ZSTD_getErrorName(left), kExitRuntime);
    }
    if (out.pos > 0) {
      write_all(fd_, std::string_view(buffer_.data(), out.pos), name_);
      out_ += out.pos;
    }
    bool done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
    if (done) break;
  }
}

void ZstdWriter::write(const void* data, size_t size) {
  in_ += size;
  drain(ZSTD_e_continue, data, size);
}

void ZstdWriter::finish() {
  drain(ZSTD_e_end, nullptr, 0);
}

}  // namespace kiln::airgap
