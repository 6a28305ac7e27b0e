// A NoCloud seed disk for `kiln run --seed DIR`: a small FAT file system
// labelled CIDATA holding the directory's files, which cloud-init style
// datasources (kiln-firstboot's NoCloud among them) find by label.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

// Makes `out` from `dir`, which must hold user-data and meta-data (and may
// hold network-config and vendor-data) and nothing but regular files. A
// missing file is exit 4; anything else in the directory is exit 2.
// `label` is the volume label: CIDATA, or cidata as cloud-localds writes it.
void make_seed_image(const std::string& dir, const std::string& out, int64_t epoch,
                     const std::string& label = "CIDATA");

}  // namespace kiln
