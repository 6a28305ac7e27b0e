#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/archive_ptr.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

TEST_CASE("libarchive handles write and read back a tar in a temp dir", "[unit]") {
  TempDir dir;
  std::string tar = dir.path() + "/t.tar";
  {
    ArchivePtr w = new_archive_writer();
    archive_write_set_format_pax_restricted(w.get());
    archive_check(w.get(), archive_write_open_filename(w.get(), tar.c_str()), "create", tar);
    ArchiveEntryPtr e = new_archive_entry();
    archive_entry_set_pathname(e.get(), "etc/hello");
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0640);
    archive_entry_set_size(e.get(), 5);
    archive_check(w.get(), archive_write_header(w.get(), e.get()), "write", tar);
    REQUIRE(archive_write_data(w.get(), "hello", 5) == 5);
    archive_check(w.get(), archive_write_close(w.get()), "close", tar);
  }
  ArchivePtr r = new_archive_reader();
  archive_read_support_format_all(r.get());
  archive_read_support_filter_all(r.get());
  archive_check(r.get(), archive_read_open_filename(r.get(), tar.c_str(), 65536), "open", tar);
  struct archive_entry* entry = nullptr;
  REQUIRE(archive_read_next_header(r.get(), &entry) == ARCHIVE_OK);
  CHECK(std::string(archive_entry_pathname(entry)) == "etc/hello");
  CHECK((archive_entry_perm(entry) & 07777) == 0640);
  char buf[16] = {};
  CHECK(archive_read_data(r.get(), buf, sizeof buf) == 5);
  CHECK(std::string(buf) == "hello");
  CHECK(archive_read_next_header(r.get(), &entry) == ARCHIVE_EOF);
}

TEST_CASE("archive_check words libarchive failures with the name", "[unit]") {
  ArchivePtr r = new_archive_reader();
  archive_read_support_format_all(r.get());
  int rc = archive_read_open_filename(r.get(), "/nonexistent/x.tar", 10240);
  CHECK_THROWS_WITH(archive_check(r.get(), rc, "open", "/nonexistent/x.tar"),
                    Catch::StartsWith("open '/nonexistent/x.tar': "));
}

TEST_CASE("secure extraction refuses '..' members", "[unit]") {
  TempDir dir;
  std::string tar = dir.path() + "/evil.tar";
  {
    ArchivePtr w = new_archive_writer();
    archive_write_set_format_pax_restricted(w.get());
    archive_write_open_filename(w.get(), tar.c_str());
    ArchiveEntryPtr e = new_archive_entry();
    archive_entry_set_pathname(e.get(), "../escaped");
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), 1);
    archive_write_header(w.get(), e.get());
    archive_write_data(w.get(), "x", 1);
    archive_write_close(w.get());
  }
  mkdir_p(dir.path() + "/out");
  ArchivePtr r = new_archive_reader();
  archive_read_support_format_all(r.get());
  archive_read_open_filename(r.get(), tar.c_str(), 10240);
  ArchivePtr disk = new_archive_disk_writer();
  archive_write_disk_set_options(disk.get(), kArchiveSecureExtractFlags);
  struct archive_entry* entry = nullptr;
  REQUIRE(archive_read_next_header(r.get(), &entry) == ARCHIVE_OK);
  archive_entry_set_pathname(entry, "../escaped");
  std::string cwd = absolute_path(".");
  REQUIRE(::chdir((dir.path() + "/out").c_str()) == 0);
  int rc = archive_write_header(disk.get(), entry);
  REQUIRE(::chdir(cwd.c_str()) == 0);
  CHECK(rc < ARCHIVE_WARN);
  CHECK_FALSE(path_exists(dir.path() + "/escaped"));
}
