#include "util/http_download.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <thread>

#include "util/atomic_file.hpp"
#include "util/cancel.hpp"
#include "util/curl_ptr.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/libcurl_loader.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one download across its attempts: the temp file and the hash of
// what it holds so far.
struct Transfer {
  CURL* curl = nullptr;
  AtomicFile* file = nullptr;
  Sha256 hash;
  uint64_t have = 0;         // bytes in the temp file
  uint64_t resume_from = 0;  // what this attempt asked the server to skip
  bool checked_status = false;
  std::optional<uint64_t> range_start;  // from Content-Range
  const DownloadOptions* options = nullptr;
  std::string write_error;
};

void restart(Transfer& t) {
  if (::ftruncate(t.file->fd(), 0) != 0) throw_errno("truncate", t.file->display_name());
  if (::lseek(t.file->fd(), 0, SEEK_SET) < 0) throw_errno("seek", t.file->display_name());
  t.hash = Sha256();
  t.have = 0;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // "Content-Range: bytes START-END/TOTAL" tells where a 206 body starts.
  if (line.size() > 14 &&
      (line.starts_with("Content-Range:") || line.starts_with("content-range:"))) {
    std::string_view v = trim(line.substr(14));
    if (v.starts_with("bytes ")) {
      v.remove_prefix(6);
      uint64_t start = 0;
      bool digits = false;
      for (char c : v) {
        if (c < '0' || c > '9') break;
        start = start * 10 + static_cast<uint64_t>(c - '0');
        digits = true;
      }
      if (digits) t->range_start = start;
    }
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  try {
    if (!t->checked_status) {
      t->checked_status = true;
      long status = 0;
      curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
      bool resumed = status == 206 && t->resume_from > 0 && t->range_start == t->resume_from;
      // The server ignored our Range (or answered one we did not ask for):
      // start over so the file never mixes two bodies.
      if (!resumed && t->have > 0) restart(*t);
    }
    write_all(t->file->fd(), std::string_view(data, len), t->file->display_name());
    t->hash.update(data, len);
    t->have += len;
  } catch (const Error& e) {
    t->write_error = e.what();
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  return len;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (interrupted()) return 1;
  if (t->options->on_progress && dlnow > 0) {
    uint64_t base = t->resume_from;
    t->options->on_progress(base + static_cast<uint64_t>(dlnow),
                            dltotal > 0 ? base + static_cast<uint64_t>(dltotal) : 0);
  }
  return 0;
}

bool retryable_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

bool retryable_code(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

void sleep_interruptible(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    throw_if_interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void setopt_checked(CURLcode rc, const std::string& url) {
  if (rc != CURLE_OK) throw Error("download '" + url + "': " + curl_easy_strerror(rc), 1, EINVAL);
}

}  // namespace

DownloadResult http_download(const std::string& url, const std::string& dest,
                             const DownloadOptions& options) {
  global_init();
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    throw Error("download '" + url + "': cannot initialise libcurl: " + libcurl_init_error(), 1,
                ENOMEM);
  }
  AtomicFile file(dest, 0644);
  Transfer t;
  t.curl = curl.get();
  t.file = &file;
  t.options = &options;

  CURL* c = curl.get();
  setopt_checked(curl_easy_setopt(c, CURLOPT_URL, url.c_str()), url);
  setopt_checked(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"), url);
  setopt_checked(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), url);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  long stall_s = std::max<long>(1, static_cast<long>(options.stall_timeout.count() / 1000));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

  const std::string prefix = "download '" + url + "': ";
  std::string last_reason;
  int last_errno = EIO;
  std::chrono::milliseconds backoff = options.initial_backoff;
  int attempt = 0;
  for (attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    throw_if_interrupted();
    if (attempt > 1) {
      sleep_interruptible(backoff);
      backoff *= 2;
    }
    t.resume_from = t.have;
    t.checked_status = false;
    t.range_start.reset();
    std::string range = t.have > 0 ? std::to_string(t.have) + "-" : "";
    curl_easy_setopt(c, CURLOPT_RANGE, range.empty() ? nullptr : range.c_str());

    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_ABORTED_BY_CALLBACK && interrupted()) {
      throw Error(prefix + "interrupted", kExitInterrupted, EINTR);
    }
    if (rc == CURLE_WRITE_ERROR && !t.write_error.empty()) throw Error(t.write_error, 1, EIO);
    if (rc == CURLE_OK) {
      if (status == 200 || status == 206 || status == 0) break;
      // A 2xx other than these (204, ...) has no file for us.
      throw Error(prefix + "server answered HTTP " + std::to_string(status), 1, EIO);
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
      last_reason = "server answered HTTP " + std::to_string(status);
      if (status == 404 || status == 410) throw Error(prefix + last_reason, 1, ENOENT);
      if (status == 416 && t.have > 0) {
        // Our partial file no longer matches what the server has.
        restart(t);
        last_errno = EIO;
        continue;
      }
      if (!retryable_status(status)) throw Error(prefix + last_reason, 1, EIO);
      last_errno = EIO;
      continue;
    }
    if (!retryable_code(rc)) throw Error(prefix + curl_easy_strerror(rc), 1, EIO);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      last_reason = "timed out";
      last_errno = ETIMEDOUT;
    } else {
      last_reason = curl_easy_strerror(rc);
      last_errno = EIO;
    }
  }
  if (attempt > std::max(1, options.max_attempts)) {
    std::string suffix = attempt > 2 ? " (after " + std::to_string(attempt - 1) + " attempts)" : "";
    throw Error(prefix + last_reason + suffix, 1, last_errno);
  }

  DownloadResult result;
  result.sha256 = t.hash.hex_digest();
  result.bytes = t.have;
  result.attempts = attempt;
  if (options.expected_sha256 && *options.expected_sha256 != result.sha256) {
    throw Error(
        prefix + "sha256 mismatch: expected " + *options.expected_sha256 + ", got " + result.sha256,
        1, EBADMSG);
  }
  file.commit();
  return result;
}

}  // namespace kiln
