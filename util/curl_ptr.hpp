// RAII for libcurl easy handles and header lists.
#pragma once

#include <curl/curl.h>

#include "util/c_ptr.hpp"

namespace kiln {

using CurlPtr = CPtr<CURL, curl_easy_cleanup>;
using CurlSlistPtr = CPtr<struct curl_slist, curl_slist_free_all>;

}  // namespace kiln
