// A build directory for `kiln build` tests from the outside: the spec and
// its inputs, the output dir "out" beside them, and a private cache.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/tar_builder.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace kiln::test {

struct BuildDir {
  TempDir dir;
  std::string spec() const { return dir.path() + "/spec.yaml"; }
  std::string out() const { return dir.path() + "/out"; }
  std::string cache() const { return dir.path() + "/cache"; }

  void write_spec(const std::string& body) const {
    test::write_text(spec(), "name: t\nversion: \"1\"\n" + body);
  }
  // A tiny root tree as a tarball, with its sha256.
  std::string small_base(const std::string& name = "base.tar") const {
    const std::string p = dir.path() + "/" + name;
    test::TarBuilder()
        .dir("etc", 0755)
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .file("etc/group", "root:x:0:\n")
        .dir("usr", 0755)
        .symlink("etc/evil", "/tmp")
        .write(p);
    return sha256_file(p);
  }
  test::CliResult build(std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv{test::bin("kiln"), "build", spec(), "-o", out(),
                                  "--cache-dir",     cache()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_cli(argv);
  }
  // Nothing but the inputs (and the cache) may remain after a failure.
  void check_clean() const {
    CHECK_FALSE(path_exists(out()));
    for (const auto& name : list_dir(dir.path())) {
      INFO(name);
      CHECK_FALSE(name.starts_with(".kiln-work"));
    }
  }
};

inline std::string tarball_base(const std::string& path, const std::string& sha) {
  return "base:\n  tarball:\n    path: " + path + "\n    sha256: " + sha + "\n";
}

}  // namespace kiln::test
