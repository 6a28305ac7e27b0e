#include "util/dlopen_library.hpp"

#include <dlfcn.h>

namespace kiln {

void* open_library(const char* soname, std::string& error) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = std::string("load '") + soname + "': " + (why != nullptr ? why : "unknown error");
  }
  return handle;
}

void* library_symbol(void* handle, const char* soname, const char* name, std::string& error) {
  void* sym = ::dlsym(handle, name);
  if (sym == nullptr && error.empty()) error = std::string("load '") + soname + "': no " + name;
  return sym;
}

}  // namespace kiln
