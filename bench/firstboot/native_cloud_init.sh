# shellcheck shell=bash
# bench/firstboot/native_cloud_init.sh, sourced by bench/firstboot/run:
# Debian's cloud-init, from the bench image's own root tree, on this host's
# CPU, so that its time sits beside kiln-firstboot's bare-metal run instead
# of only under QEMU's emulated CPU.
#
# cloud-init has no --root option, so it runs chrooted into a fresh copy of
# the tree, inside new mount, UTS, IPC, network and PID namespaces: its
# hostname, mounts and probes cannot reach this host. The chroot gets its own
# proc and sysfs, tmpfs /run and /tmp, and a /dev of only null, zero, full,
# random, urandom and tty (blkid finds no block device, so no host disk is
# ever probed). The seed sits in /var/lib/cloud/seed/nocloud, NoCloud's seed
# directory; datasource_list is [NoCloud], and growpart and resize_rootfs are
# off (nothing here to grow). The four stages run in boot order, as their
# units would: init --local, init, modules --mode=config, --mode=final. A
# stage that exits non-zero (a module failed, as in the guest) does not stop
# the next: what counts is that the seed was applied.
#
# Needs fail() and fresh_root() from the caller.

# Lays the seed and the bench's cloud.cfg.d snippet into the root $1.
native_cloud_init_prepare() {
  local r=$1 seed=$2
  mkdir -p "$r/var/lib/cloud/seed/nocloud" "$r/etc/cloud/cloud.cfg.d" "$r/var/cache/kiln-fbbench-pycache"
  cp "$seed/user-data" "$seed/meta-data" "$r/var/lib/cloud/seed/nocloud/"
  cat >"$r/etc/cloud/cloud.cfg.d/99-kiln-fbbench.cfg" <<'EOF'
# bench/firstboot's native cloud-init run (a chroot on the build host).
datasource_list: [NoCloud]
growpart: {mode: "off"}
resize_rootfs: false
EOF
}

# Runs cloud-init's four stages chrooted into $1 and prints the wall time of
# the four commands in milliseconds (taken inside the chroot, so the
# namespace and mount set-up is not billed). Their output goes to $2.
native_cloud_init_stages() {
  local r=$1 log=$2
  # shellcheck disable=SC2016 # expanded by the inner shells
  unshare --mount --uts --ipc --net --pid --fork --propagation private bash -euc '
    r=$1
    mount --bind "$r" "$r"
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount -t tmpfs -o mode=0755 tmpfs "$r/dev"
    for node in null zero full random urandom tty; do
      touch "$r/dev/$node"
      mount --bind "/dev/$node" "$r/dev/$node"
    done
    mount -t tmpfs -o mode=0755 tmpfs "$r/run"
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      PYTHONPYCACHEPREFIX=/var/cache/kiln-fbbench-pycache /bin/bash -euc "
        t0=\$(date +%s%N)
        cloud-init init --local || echo KILN-FBBENCH-STAGE-FAILED init-local
        cloud-init init || echo KILN-FBBENCH-STAGE-FAILED init
        cloud-init modules --mode=config || echo KILN-FBBENCH-STAGE-FAILED modules-config
        cloud-init modules --mode=final || echo KILN-FBBENCH-STAGE-FAILED modules-final
        t1=\$(date +%s%N)
        echo KILN-FBBENCH-WALL-NS \$((t1 - t0))
      "
  ' _ "$r" >"$log" 2>&1 || { tail -n 20 "$log" >&2; fail "cloud-init failed in the chroot $r (log above)"; }
  local ns
  ns=$(sed -n 's/^KILN-FBBENCH-WALL-NS //p' "$log")
  [ -n "$ns" ] || { tail -n 20 "$log" >&2; fail "no wall time from cloud-init's chroot run in $r"; }
  awk -v ns="$ns" 'BEGIN { printf "%.1f", ns / 1e6 }'
}

# `cloud-init analyze show`'s total over the stages recorded in the root $1,
# in milliseconds.
native_cloud_init_analyze_ms() {
  local r=$1 total
  total=$(chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    PYTHONPYCACHEPREFIX=/var/cache/kiln-fbbench-pycache cloud-init analyze show 2>/dev/null |
    awk '/^Total Time:/ { t = $3 } END { print t }')
  [ -n "$total" ] || fail "no total in cloud-init analyze show for the chroot run in $r"
  awk -v s="$total" 'BEGIN { printf "%.1f", s * 1000 }'
}

# The checks check_applied makes in the guest, on a chroot run's root $1.
native_cloud_init_check() {
  local r=$1 log=$2
  if [ "$(cat "$r/etc/hostname" 2>/dev/null)" != ref-node ] ||
    ! grep -q '^ops:x:.*:/home/ops:/bin/bash$' "$r/etc/passwd" ||
    ! grep -q 'OperatorKeyForKilnTests' "$r/home/ops/.ssh/authorized_keys" 2>/dev/null ||
    [ "$(cat "$r/etc/kiln-bench/three.conf" 2>/dev/null)" != three ] ||
    [ ! -e "$r/etc/kiln-bench/runcmd-done" ]; then
    tail -n 30 "$log" >&2
    fail "cloud-init did not apply the seed in the chroot $r"
  fi
}

# Runs cloud-init $2 times on fresh copies of the tree (after one untimed
# warm-up run that fills the byte-code cache, as a stock install has its
# modules compiled) and sets native_ci_cold_ms, native_ci_walls and
# native_ci_totals (milliseconds).
native_cloud_init_bench() {
  local seed=$1 runs=$2 r i wall total cache=$work/native-pycache
  native_ci_walls=() native_ci_totals=()
  r=$(fresh_root ci-warmup)
  native_cloud_init_prepare "$r" "$seed"
  sync
  native_ci_cold_ms=$(native_cloud_init_stages "$r" "$r.log")
  native_cloud_init_check "$r" "$r.log"
  cp -a "$r/var/cache/kiln-fbbench-pycache" "$cache"
  rm -rf "$r"
  for i in $(seq 1 "$runs"); do
    r=$(fresh_root "ci-$i")
    native_cloud_init_prepare "$r" "$seed"
    rm -rf "$r/var/cache/kiln-fbbench-pycache"
    cp -a "$cache" "$r/var/cache/kiln-fbbench-pycache"
    sync
    wall=$(native_cloud_init_stages "$r" "$r.log")
    native_cloud_init_check "$r" "$r.log"
    total=$(native_cloud_init_analyze_ms "$r")
    native_ci_walls+=("$wall") native_ci_totals+=("$total")
    rm -rf "$r" "$r.log"
  done
  rm -rf "$cache"
}
