// Sequential reading of tar archives (plain, gzip or zstd) through
// libarchive, one member at a time, with member data exposed as a stream so
// nothing is buffered whole. Member names are normalised and any name that
// would leave the archive's root ("../x", "/etc/x") is an error.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "airgap/streams.hpp"
#include "util/archive_ptr.hpp"

namespace kiln::airgap {

struct TarMember {
  enum class Type { File, Directory, Symlink, Hardlink, Other };
  std::string name;  // normalised, relative; "." for the root itself
  Type type = Type::Other;
  uint64_t size = 0;
  std::string link;                       // symlink target as stored, or normalised hardlink target
  struct archive_entry* entry = nullptr;  // valid until next()
};

// "a/./b//c/" -> "a/b/c"; nullopt when the path is absolute or climbs out
// with "..".
std::optional<std::string> normalize_member_name(std::string_view name);

class TarReader {
 public:
  // Opens a file: a tar, optionally gzip- or zstd-compressed.
  explicit TarReader(const std::string& path);
  // Reads a tar from a stream (for example a layer blob); `name` is used in
  // messages.
  TarReader(InputStream& in, std::string name);
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;
  ~TarReader();

  // The next member, or nullopt at the end of the archive. Throws on a
  // truncated or damaged archive and on names that escape.
  std::optional<TarMember> next();
  // The current member's bytes.
  InputStream& data();
  [[nodiscard]] struct archive* handle() const { return archive_.get(); }
  [[nodiscard]] const std::string& name() const { return name_; }
  // Throws the error behind a failed libarchive call (a stored exception
  // from the input stream, or libarchive's own message).
  [[noreturn]] void fail(std::string_view doing) const;
  // The name of the member being read, for messages.
  [[nodiscard]] const std::string& current() const { return current_; }

 private:
  class MemberStream;
  void open();

  std::unique_ptr<InputStream> owned_;
  InputStream* in_ = nullptr;
  std::string name_;
  ArchivePtr archive_;
  std::unique_ptr<MemberStream> data_;
  std::string current_;
  std::vector<char> buffer_;
  std::exception_ptr callback_error_;
  friend la_ssize_t tar_reader_read_callback(struct archive*, void*, const void**);
  friend la_int64_t tar_reader_skip_callback(struct archive*, void*, la_int64_t);
};

}  // namespace kiln::airgap
