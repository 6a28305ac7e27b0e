#include "util/elf_deps.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace kiln;

TEST_CASE("read_elf_deps lists the interpreter and DT_NEEDED of a real binary", "[unit]") {
  ElfDeps d = read_elf_deps(test::bin("kiln-firstboot"));
  CHECK(d.interpreter == "/lib64/ld-linux-x86-64.so.2");
  CHECK(std::find(d.needed.begin(), d.needed.end(), "libc.so.6") != d.needed.end());
  CHECK(std::find(d.needed.begin(), d.needed.end(), "libstdc++.so.6") != d.needed.end());
  // libcurl and libcrypto are loaded on first use (util/libcurl_loader,
  // util/libcrypto_digest): named by the binary's .note.dlopen, not linked.
  CHECK(std::find(d.needed.begin(), d.needed.end(), "libcurl.so.4") == d.needed.end());
  CHECK(std::find(d.needed.begin(), d.needed.end(), "libcrypto.so.3") == d.needed.end());
  std::vector<std::string> dlopen = d.dlopen;
  std::sort(dlopen.begin(), dlopen.end());
  CHECK(dlopen == std::vector<std::string>{"libcrypto.so.3", "libcurl.so.4"});
}

TEST_CASE("read_elf_deps rejects what is not a 64-bit ELF", "[unit]") {
  TempDir dir;
  test::write_text(dir.path() + "/script", "#!/bin/sh\necho hi\n", 0755);
  CHECK_THROWS_WITH(read_elf_deps(dir.path() + "/script"),
                    "read ELF '" + dir.path() + "/script': not an ELF file");
  test::write_text(dir.path() + "/short",
                   "\x7f"
                   "ELF",
                   0644);
  CHECK_THROWS_WITH(read_elf_deps(dir.path() + "/short"),
                    "read ELF '" + dir.path() + "/short': truncated file");
}
