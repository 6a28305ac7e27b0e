// Copies a file's data into another file at an offset, skipping holes, so a
// mostly-empty partition image stays sparse inside the disk image.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

// Copies every data extent of `src` to `dst_fd` at `offset` + its position,
// with copy_file_range (falling back to read/write). Holes in `src` are left
// untouched in the destination, which must already read as zeros there.
void copy_sparse_into(const std::string& src, int dst_fd, uint64_t offset,
                      const std::string& dst_name);

// Copies `src` to a new file `dst` keeping its holes (size included).
void copy_sparse_file(const std::string& src, const std::string& dst);

}  // namespace kiln
