// unique_ptr with a C library's free function as the deleter.
#pragma once

#include <memory>

namespace kiln {

template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) Free(p);
  }
};

template <typename T, auto Free>
using CPtr = std::unique_ptr<T, FreeWith<Free>>;

}  // namespace kiln
