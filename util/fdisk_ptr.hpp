// RAII for libfdisk objects.
#pragma once

#include <libfdisk/libfdisk.h>

#include "util/c_ptr.hpp"

namespace kiln {

using FdiskContextPtr = CPtr<struct fdisk_context, fdisk_unref_context>;
using FdiskPartitionPtr = CPtr<struct fdisk_partition, fdisk_unref_partition>;
using FdiskTablePtr = CPtr<struct fdisk_table, fdisk_unref_table>;
using FdiskParttypePtr = CPtr<struct fdisk_parttype, fdisk_unref_parttype>;

}  // namespace kiln
