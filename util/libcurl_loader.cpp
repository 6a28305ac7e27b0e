#include "util/libcurl_loader.hpp"

#include <cstdarg>
#include <cstdint>

#include "util/dlopen_library.hpp"

// The typecheck macros would turn the definitions below into macro calls.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

namespace kiln {
namespace {

constexpr const char* kSoname = "libcurl.so.4";

constexpr char kDlopenJson[] =
    R"([{"feature":"http","description":"HTTP(S): network datasources, --wait-ready, downloads",)"
    R"("priority":"recommended","soname":["libcurl.so.4"]}])";
[[gnu::section(".note.dlopen"), gnu::used,
  gnu::aligned(4)]] constinit const ElfDlopenNote<sizeof kDlopenJson>
    kNote{kDlopenJson};

struct CurlApi {
  std::string error;
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_global_cleanup) global_cleanup = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_easy_escape) easy_escape = nullptr;
  decltype(&curl_free) free = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& out, std::string& error) {
  return resolve_symbol(handle, kSoname, name, out, error);
}

CurlApi load() {
  CurlApi a;
  void* handle = open_library(kSoname, a.error);
  if (handle == nullptr) return a;
  bool ok = resolve(handle, "curl_global_init", a.global_init, a.error) &&
            resolve(handle, "curl_global_cleanup", a.global_cleanup, a.error) &&
            resolve(handle, "curl_easy_init", a.easy_init, a.error) &&
            resolve(handle, "curl_easy_cleanup", a.easy_cleanup, a.error) &&
            resolve(handle, "curl_easy_setopt", a.easy_setopt, a.error) &&
            resolve(handle, "curl_easy_perform", a.easy_perform, a.error) &&
            resolve(handle, "curl_easy_getinfo", a.easy_getinfo, a.error) &&
            resolve(handle, "curl_easy_strerror", a.easy_strerror, a.error) &&
            resolve(handle, "curl_easy_escape", a.easy_escape, a.error) &&
            resolve(handle, "curl_free", a.free, a.error) &&
            resolve(handle, "curl_slist_append", a.slist_append, a.error) &&
            resolve(handle, "curl_slist_free_all", a.slist_free_all, a.error);
  if (!ok) a.global_init = nullptr;  // the marker callers test
  return a;
}

const CurlApi& api() {
  static const CurlApi a = load();
  return a;
}

bool loaded() {
  return api().global_init != nullptr;
}

}  // namespace

std::optional<std::string> libcurl_unavailable() {
  if (loaded()) return std::nullopt;
  return api().error;
}

std::string libcurl_init_error() {
  return libcurl_unavailable().value_or("out of memory");
}

}  // namespace kiln

using kiln::api;
using kiln::loaded;

// Each stand-in answers the way libcurl does when it cannot work (an error
// code, a null handle); those with an object can only be reached through a
// handle that came from a loaded libcurl.
extern "C" {

CURLcode curl_global_init(long flags) {
  return loaded() ? api().global_init(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup() {
  if (loaded()) api().global_cleanup();
}

CURL* curl_easy_init() {
  return loaded() ? api().easy_init() : nullptr;
}

void curl_easy_cleanup(CURL* curl) {
  if (curl != nullptr && loaded()) api().easy_cleanup(curl);
}

// An option's number says the type of its one argument (curl.h's
// CURLOPTTYPE_* ranges), which is how libcurl reads it too.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  if (!loaded()) return CURLE_FAILED_INIT;
  va_list ap;
  // curl.h fixes the signature; glibc's va_start does not depend on the
  // last named parameter's type (an enum here).
  va_start(ap, option);  // NOLINT(clang-diagnostic-varargs)
  CURLcode rc;
  // curl_off_t is long on LP64: the branches stay apart for other ABIs.
  // NOLINTNEXTLINE(bugprone-branch-clone)
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = api().easy_setopt(curl, option, va_arg(ap, long));
  } else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T) {
    using AnyFunction = void (*)();
    rc = api().easy_setopt(curl, option, va_arg(ap, AnyFunction));
  } else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
    rc = api().easy_setopt(curl, option, va_arg(ap, curl_off_t));
  } else {  // object pointers, strings, lists, blobs
    rc = api().easy_setopt(curl, option, va_arg(ap, void*));
  }
  va_end(ap);
  return rc;
}

CURLcode curl_easy_perform(CURL* curl) {
  return loaded() ? api().easy_perform(curl) : CURLE_FAILED_INIT;
}

// Every CURLINFO_* takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  if (!loaded()) return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);  // NOLINT(clang-diagnostic-varargs): as above
  CURLcode rc = api().easy_getinfo(curl, info, va_arg(ap, void*));
  va_end(ap);
  return rc;
}

const char* curl_easy_strerror(CURLcode code) {
  return loaded() ? api().easy_strerror(code) : "libcurl is not available";
}

char* curl_easy_escape(CURL* curl, const char* string, int length) {
  return loaded() ? api().easy_escape(curl, string, length) : nullptr;
}

void curl_free(void* p) {
  if (p != nullptr && loaded()) api().free(p);
}

curl_slist* curl_slist_append(curl_slist* list, const char* string) {
  return loaded() ? api().slist_append(list, string) : nullptr;
}

void curl_slist_free_all(curl_slist* list) {
  if (list != nullptr && loaded()) api().slist_free_all(list);
}

}  // extern "C"
