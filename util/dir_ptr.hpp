// RAII for directory streams (opendir/fdopendir).
#pragma once

#include <dirent.h>

#include "util/c_ptr.hpp"

namespace kiln {

using DirPtr = CPtr<DIR, ::closedir>;

}  // namespace kiln
