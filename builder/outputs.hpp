// The output formats kiln writes and how each is made from the assembled
// disk (or, for tar, from the image's tree).
#pragma once

#include <string>
#include <vector>

#include "builder/image_artifacts.hpp"
#include "builder/spec.hpp"

namespace kiln {

// Output formats this kiln can write.
bool output_implemented(spec::Output o);

// Fails with exit 2, naming the format, when the spec asks for one that is
// not implemented. The spec parser refuses those already (at their
// position); this guards specs made in code.
void check_outputs_implemented(const spec::ImageSpec& spec);

// The file name of an output: "<name>.raw", "<name>.qcow2", ...
std::string output_file_name(const spec::ImageSpec& spec, spec::Output o);

// Converts the raw disk with qemu-img into `dest` (qcow2, or a fixed VHD
// sized exactly like the raw disk, which is what AWS and Azure import).
void convert_disk(const std::string& raw, spec::Output format, const std::string& dest);

// A reproducible tar (pax, numeric owners, xattrs, names sorted, mtimes
// clamped to `epoch`) of the image's root tree with /var taken from the
// state tree.
void write_root_tar(const std::string& rootfs_dir, const std::string& state_dir,
                    const std::string& dest, int64_t epoch);

}  // namespace kiln
