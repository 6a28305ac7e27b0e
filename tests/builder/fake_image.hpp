// Helpers for builder step tests: a small fake image root with the account
// files a Debian base has, and a BuildContext over it.
#pragma once

#include <string>

#include "builder/build_context.hpp"
#include "tests/support/test_support.hpp"
#include "util/fs.hpp"

namespace kiln::test {

// etc/passwd, group, shadow (0640), gshadow (0640), login.defs, and the
// merged-/usr symlinks bin -> usr/bin, lib -> usr/lib.
inline void make_fake_image(const std::string& root) {
  mkdir_p(root + "/usr/bin");
  mkdir_p(root + "/usr/lib");
  mkdir_p(root + "/etc");
  write_text(root + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/bash\n"
             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
             "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n"
             "app:x:4242:4343:app:/var/lib/app:/usr/sbin/nologin\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  write_text(root + "/etc/group",
             "root:x:0:\nadm:x:4:\nsystemd-network:x:998:\nappgrp:x:4343:\nnogroup:x:65534:\n");
  write_text(root + "/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
  write_text(root + "/etc/gshadow", "root:*::\n", 0640);
  write_text(root + "/etc/login.defs", "# defaults\n#SYS_UID_MIN 100\nUID_MIN 1000\n");
  ::symlink("usr/bin", (root + "/bin").c_str());
  ::symlink("usr/lib", (root + "/lib").c_str());
}

struct FakeBuild {
  TempDir dir;
  spec::ImageSpec spec;
  BuildContext ctx;

  FakeBuild()
      : ctx{.spec = spec,
            .options = {},
            .work_dir = dir.path(),
            .rootfs_dir = dir.path() + "/rootfs"} {
    spec.name = "test-image";
    spec.version = "1";
    spec.sha256 = std::string(64, '0');
    ctx.options.cache_dir = dir.path() + "/cache";
    ctx.options.output_dir = dir.path() + "/out";
    mkdir_p(ctx.rootfs_dir);
  }
};

}  // namespace kiln::test
