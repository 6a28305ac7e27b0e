// Downloads one http(s) URL to a file through libcurl: bounded connect,
// stall and total timeouts; retries with exponential backoff on 5xx, 408,
// 429, timeouts and dropped connections; a dropped transfer resumes with a
// Range request; the body goes to a temp file beside the destination and is
// hashed (sha256) while it streams; the destination appears only once the
// download is complete and, when a digest is expected, verified.
//
// Failures are kiln::Errors worded "download 'URL': reason" whose errno says
// what kind of failure it was, so callers can choose exit codes:
//   ENOENT     the server answered 404 or 410
//   EBADMSG    the body's sha256 differs from the expected one
//   ETIMEDOUT  a timeout, after every attempt
//   EIO        any other HTTP error status or transfer failure
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kiln {

struct DownloadOptions {
  // Lowercase hex; when set, a body with another digest is rejected and
  // nothing is written at the destination.
  std::optional<std::string> expected_sha256;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};
  // Per attempt, from the request to the last byte.
  std::chrono::milliseconds total_timeout{std::chrono::hours(2)};
  // An attempt that receives nothing for this long is abandoned.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  int max_attempts = 4;
  // Waited before the second attempt; doubled before each further one.
  std::chrono::milliseconds initial_backoff{std::chrono::milliseconds(500)};
  // Called as bytes arrive: bytes so far (including resumed ones) and the
  // total when the server announced it (0 otherwise).
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

struct DownloadResult {
  std::string sha256;  // of the whole body
  uint64_t bytes = 0;
  int attempts = 0;
};

// Downloads `url` to `dest` (replacing it atomically). Honours cancellation
// (util/cancel.hpp): an interrupt aborts the transfer and removes the temp
// file.
DownloadResult http_download(const std::string& url, const std::string& dest,
                             const DownloadOptions& options = {});

}  // namespace kiln
