// RAII for libblkid probes.
#pragma once

#include <blkid/blkid.h>

#include <memory>
#include <type_traits>

namespace kiln {

struct BlkidProbeFree {
  void operator()(blkid_probe p) const noexcept {
    if (p != nullptr) blkid_free_probe(p);
  }
};
using BlkidProbePtr = std::unique_ptr<std::remove_pointer_t<blkid_probe>, BlkidProbeFree>;

}  // namespace kiln
