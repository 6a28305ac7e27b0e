// RAII for libmount objects.
#pragma once

#include <libmount.h>

#include "util/c_ptr.hpp"

namespace kiln {

using MntContextPtr = CPtr<struct libmnt_context, mnt_free_context>;
using MntTablePtr = CPtr<struct libmnt_table, mnt_unref_table>;
using MntFsPtr = CPtr<struct libmnt_fs, mnt_unref_fs>;
using MntIterPtr = CPtr<struct libmnt_iter, mnt_free_iter>;
using MntCachePtr = CPtr<struct libmnt_cache, mnt_unref_cache>;

}  // namespace kiln
