#include <catch2/catch.hpp>
#include <sys/xattr.h>

#include "airgap/layer_apply.hpp"
#include "builder/steps.hpp"
#include "tests/airgap/test_images.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

using namespace kiln;
using namespace kiln::test;
using T = TarEntry::Type;

namespace {

void apply(const std::string& root, const std::vector<TarEntry>& entries,
           Compression c = Compression::Gzip) {
  TempDir tmp;
  write_tar(tmp.path() + "/layer", entries, c);
  airgap::FdInputStream in(tmp.path() + "/layer");
  airgap::apply_layer(in, "test layer", root);
}

spec::ImageSpec oci_spec(const std::string& path, const std::string& image = "") {
  spec::ImageSpec s;
  s.name = "oci";
  s.base = spec::OciBase{{path, false, sha256_file(path)}, image};
  return s;
}

}  // namespace

TEST_CASE("layers apply in order with whiteouts and opaque directories", "[unit]") {
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  mkdir_p(root);
  apply(root, {{T::Directory, "etc"},
               {T::File, "etc/a", "a"},
               {T::File, "etc/b", "b"},
               {T::Directory, "dir"},
               {T::File, "dir/x", "x"},
               {T::Directory, "dir/sub"},
               {T::File, "dir/sub/y", "y"},
               {T::File, "keep", "k"},
               {T::File, "f", "file"},
               {T::Directory, "d"},
               {T::File, "d/inner", "i"}});
  apply(root,
        {{T::File, "etc/.wh.a", ""},
         {T::File, "dir/new", "n"},
         {T::File, "dir/.wh..wh..opq", ""},
         {T::Directory, "f"},           // a directory replaces a file
         {T::File, "d", "now a file"},  // and a file replaces a directory
         {T::Symlink, "etc/link", "b"},
         {T::Hardlink, "keep2", "keep"}},
        Compression::Zstd);
  CHECK(list_tree(root) ==
        std::vector<std::string>{"d", "dir/new", "etc/b", "etc/link", "keep", "keep2"});
  CHECK(read_file(root + "/d") == "now a file");
  CHECK(is_directory(root + "/f"));
  CHECK(lstat_path(root + "/keep2")->st_ino == lstat_path(root + "/keep")->st_ino);
}

TEST_CASE("whiteouts cannot reach outside the root, not even through a symlink", "[unit]") {
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  mkdir_p(root);
  write_text(tmp.path() + "/outside/victim", "precious");
  apply(root, {{T::Symlink, "out", tmp.path() + "/outside"}, {T::Symlink, "rel", "../outside"}});
  apply(root, {{T::File, "out/.wh.victim", ""},
               {T::File, "rel/.wh.victim", ""},
               {T::File, "out/.wh..wh..opq", ""}});
  CHECK(read_file(tmp.path() + "/outside/victim") == "precious");
  CHECK_THROWS_WITH(apply(root, {{T::File, "../.wh.victim", ""}}),
                    "archive 'test layer': member '../.wh.victim' escapes the archive");
  // Nor can a layer write through a symlink that leads out.
  CHECK_THROWS(apply(root, {{T::File, "out/new", "x"}}));
  CHECK_FALSE(path_exists(tmp.path() + "/outside/new"));
}

TEST_CASE("layers keep owners, modes and file capabilities", "[root]") {
  if (!enter_root_test_namespace()) return;
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  mkdir_p(root);
  // vfs_cap_data revision 2: effective, permitted CAP_NET_RAW (13).
  std::string cap(
      "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  TarEntry ping(T::File, "usr/bin/ping", "ELF", 04755);
  ping.uid = 0;
  ping.gid = 0;
  ping.xattrs["security.capability"] = cap;
  TarEntry owned(T::File, "home/app/data", "d", 0640);
  owned.uid = 1000;
  owned.gid = 1001;
  apply(root, {ping, owned});
  auto st = lstat_path(root + "/usr/bin/ping");
  CHECK((st->st_mode & 07777) == 04755);
  char buf[64];
  ssize_t n = ::lgetxattr((root + "/usr/bin/ping").c_str(), "security.capability", buf, sizeof buf);
  REQUIRE(n == 20);
  CHECK(std::string(buf, 20) == cap);
  auto o = lstat_path(root + "/home/app/data");
  CHECK(o->st_uid == 1000);
  CHECK(o->st_gid == 1001);
  CHECK((o->st_mode & 0777) == 0640);
}

TEST_CASE("apply_oci_base unpacks the chosen image of a docker-archive", "[unit]") {
  TempDir tmp;
  std::string base =
      make_tar({{T::File, "etc/os-release", "ID=kiln\n"}, {T::File, "etc/old", "x"}});
  std::string top = make_tar({{T::File, "etc/.wh.old", ""}, {T::File, "usr/bin/tool", "t", 0755}});
  std::string other = make_tar({{T::File, "other", "o"}});
  std::string path = tmp.path() + "/base.tar";
  write_docker_archive(path,
                       {{{"example.com/base:1"}, {base, top}}, {{"example.com/other:1"}, {other}}});

  spec::ImageSpec spec = oci_spec(path, "example.com/base:1");
  StepTimer timer("base");
  BuildContext ctx{spec, {}, tmp.path() + "/work", tmp.path() + "/root", {}, {}, {}, {}};
  mkdir_p(ctx.work_dir);
  mkdir_p(ctx.rootfs_dir);
  apply_oci_base(ctx, std::get<spec::OciBase>(spec.base), timer);
  CHECK(list_tree(ctx.rootfs_dir) == std::vector<std::string>{"etc/os-release", "usr/bin/tool"});
  CHECK(ctx.resolved.at("base") == sha256_file(path));
  CHECK(list_dir(ctx.work_dir).empty());

  spec::ImageSpec unnamed = oci_spec(path);
  BuildContext c2{unnamed, {}, tmp.path() + "/work", tmp.path() + "/root2", {}, {}, {}, {}};
  CHECK_THROWS_WITH(apply_oci_base(c2, std::get<spec::OciBase>(unnamed.base), timer),
                    "base image '" + path +
                        "' holds 2 images; choose one with base.oci.image, "
                        "while applying the base OCI image '" +
                        path + "'");
  spec::ImageSpec missing = oci_spec(path, "example.com/nope:1");
  BuildContext c3{missing, {}, tmp.path() + "/work", tmp.path() + "/root3", {}, {}, {}, {}};
  CHECK_THROWS_WITH(
      apply_oci_base(c3, std::get<spec::OciBase>(missing.base), timer),
      "base image '" + path +
          "' has no image 'example.com/nope:1' (it has: "
          "example.com/base:1, example.com/other:1), while applying the base OCI image '" +
          path + "'");
}
