#include "airgap/tar_reader.hpp"

#include <cstring>

#include "airgap/exit_codes.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln::airgap {

la_ssize_t tar_reader_read_callback(struct archive* a, void* client, const void** buffer) {
  auto* self = static_cast<TarReader*>(client);
  try {
    size_t n = self->in_->read(self->buffer_.data(), self->buffer_.size());
    *buffer = self->buffer_.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    // libarchive is C: the exception waits here until control is back in C++.
    self->callback_error_ = std::current_exception();
    archive_set_error(a, EIO, "input stream failed");
    return -1;
  }
}

la_int64_t tar_reader_skip_callback(struct archive*, void* client, la_int64_t request) {
  auto* self = static_cast<TarReader*>(client);
  try {
    return static_cast<la_int64_t>(self->in_->skip(static_cast<uint64_t>(request)));
  } catch (...) {
    return 0;  // libarchive then reads instead
  }
}

class TarReader::MemberStream final : public InputStream {
 public:
  explicit MemberStream(TarReader& r) : r_(r) {}
  size_t read(void* buf, size_t size) override {
    la_ssize_t n = archive_read_data(r_.archive_.get(), buf, size);
    if (n < 0) r_.fail("read member '" + r_.current_ + "' of");
    return static_cast<size_t>(n);
  }

 private:
  TarReader& r_;
};

std::optional<std::string> normalize_member_name(std::string_view name) {
  if (name.starts_with('/')) return std::nullopt;
  std::vector<std::string> parts;
  for (const auto& p : split(name, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") return std::nullopt;
    parts.push_back(p);
  }
  if (parts.empty()) return ".";
  return join(parts, "/");
}

TarReader::TarReader(const std::string& path)
    : owned_(std::make_unique<FdInputStream>(path)), in_(owned_.get()), name_(path) {
  open();
}

TarReader::TarReader(InputStream& in, std::string name) : in_(&in), name_(std::move(name)) {
  open();
}

TarReader::~TarReader() = default;

InputStream& TarReader::data() {
  return *data_;
}

void TarReader::open() {
  buffer_.resize(kChunkSize);
  archive_ = new_archive_reader();
  archive_read_support_filter_gzip(archive_.get());
  archive_read_support_filter_zstd(archive_.get());
  archive_read_support_format_tar(archive_.get());
  data_ = std::make_unique<MemberStream>(*this);
  archive_read_set_callback_data(archive_.get(), this);
  archive_read_set_read_callback(archive_.get(), tar_reader_read_callback);
  // Members nobody reads are skipped by seeking, where the input is a file.
  archive_read_set_skip_callback(archive_.get(), tar_reader_skip_callback);
  if (archive_read_open1(archive_.get()) != ARCHIVE_OK) fail("open");
}

void TarReader::fail(std::string_view doing) const {
  if (callback_error_) std::rethrow_exception(callback_error_);
  const char* msg = archive_error_string(archive_.get());
  std::string why = msg != nullptr ? msg : "unknown libarchive error";
  if (why.find("runcated") != std::string::npos ||
      why.find("unexpected end") != std::string::npos) {
    if (current_.empty()) throw Error("archive '" + name_ + "': truncated", kExitVerification);
    throw Error("archive '" + name_ + "': truncated inside member '" + current_ + "'",
                kExitVerification);
  }
  if (why.find("Unrecognized archive format") != std::string::npos) {
    throw Error("archive '" + name_ + "': not a tar archive (plain, gzip or zstd)", kExitInvalid);
  }
  throw Error(std::string(doing) + " '" + name_ + "': " + why, kExitVerification);
}

std::optional<TarMember> TarReader::next() {
  struct archive_entry* e = nullptr;
  int rc = archive_read_next_header(archive_.get(), &e);
  if (rc == ARCHIVE_EOF) return std::nullopt;
  if (rc < ARCHIVE_WARN) fail("read");
  TarMember m;
  const char* raw = archive_entry_pathname(e);
  std::string raw_name = raw != nullptr ? raw : "";
  auto name = normalize_member_name(raw_name);
  if (!name) {
    throw Error("archive '" + name_ + "': member '" + raw_name + "' escapes the archive",
                kExitVerification);
  }
  m.name = *name;
  current_ = m.name;
  m.entry = e;
  m.size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
  if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
    auto target = normalize_member_name(hl);
    if (!target) {
      throw Error("archive '" + name_ + "': member '" + m.name + "' links to '" + hl +
                      "', outside the archive",
                  kExitVerification);
    }
    m.type = TarMember::Type::Hardlink;
    m.link = *target;
    return m;
  }
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      m.type = TarMember::Type::File;
      break;
    case AE_IFDIR:
      m.type = TarMember::Type::Directory;
      break;
    case AE_IFLNK:
      m.type = TarMember::Type::Symlink;
      m.link = archive_entry_symlink(e) != nullptr ? archive_entry_symlink(e) : "";
      break;
    default:
      m.type = TarMember::Type::Other;
      break;
  }
  return m;
}

}  // namespace kiln::airgap
