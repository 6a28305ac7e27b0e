// RAII for zstd compression and decompression contexts.
#pragma once

#include <zstd.h>

#include "util/c_ptr.hpp"

namespace kiln {

using ZstdCCtxPtr = CPtr<ZSTD_CCtx, ZSTD_freeCCtx>;
using ZstdDCtxPtr = CPtr<ZSTD_DCtx, ZSTD_freeDCtx>;

}  // namespace kiln
