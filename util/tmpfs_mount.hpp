// A tmpfs mounted for the life of one object. Mounted in a mount namespace
// of the process's own (util/mount_namespace.hpp), nothing outside sees it
// and a crash cannot leak it: the kernel drops the file system when the last
// process in the namespace exits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

class TmpfsMount {
 public:
  // Mounts a tmpfs of at most `size_bytes` on the existing empty directory
  // `path` (root-owned, mode 0755). Throws "mount 'path': reason".
  static TmpfsMount mount(const std::string& path, uint64_t size_bytes);

  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  TmpfsMount(TmpfsMount&& other) noexcept;
  TmpfsMount& operator=(TmpfsMount&& other) noexcept;
  ~TmpfsMount();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] uint64_t size_bytes() const { return size_bytes_; }
  // Detaches the file system now; its memory is freed once nothing holds it.
  void unmount() noexcept;

 private:
  TmpfsMount(std::string path, uint64_t size_bytes)
      : path_(std::move(path)), size_bytes_(size_bytes) {}
  std::string path_;
  uint64_t size_bytes_ = 0;
};

// Whether extended attribute `name` can be set on a file in `dir`, tried on
// a scratch file that is removed again. Probing beats asking: support for
// xattr namespaces differs by file system, kernel version and configuration.
bool xattr_settable(const std::string& dir, const std::string& name, std::string_view value);

}  // namespace kiln
