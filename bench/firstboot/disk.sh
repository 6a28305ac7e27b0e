# shellcheck shell=bash
# bench/firstboot/disk.sh, sourced by bench/firstboot/run: a kiln raw disk's
# partitions, and debugfs on its state partition in place (e2fsprogs opens
# "FILE?offset=N"), so nothing is mounted and nothing is copied out first.
# Needs fail() from the caller.

# "START SIZE" in bytes of the GPT partition named $2 on the raw disk $1.
partition_bytes() {
  local found
  found=$(sfdisk -J "$1" | jq -r --arg name "$2" '.partitiontable as $t
    | ($t.sectorsize // 512) as $s
    | $t.partitions[] | select(.name == $name) | "\(.start * $s) \(.size * $s)"')
  [ -n "$found" ] || fail "no partition '$2' on '$1'"
  echo "$found"
}

# debugfs ARGS... on the state partition of the raw disk $1 (stdin passes
# through for "-f -"). debugfs reports a failed command on stderr and still
# exits 0, so any stderr line but its banner is a failure.
state_debugfs() {
  local disk=$1 start err
  shift
  read -r start _ < <(partition_bytes "$disk" kiln-state)
  err=$(mktemp)
  debugfs "$@" "$disk?offset=$start" 2>"$err" || { cat "$err" >&2; rm -f "$err"; fail "debugfs $* on '$disk' failed"; }
  if grep -v '^debugfs 1\.' "$err" | grep -q .; then
    grep -v '^debugfs 1\.' "$err" >&2
    rm -f "$err"
    fail "debugfs $* on the state partition of '$disk' failed"
  fi
  rm -f "$err"
}

# Creates each directory $2... on the state partition of $1 that is missing
# (in order: parents first).
state_mkdirs() {
  local disk=$1 dir start
  shift
  read -r start _ < <(partition_bytes "$disk" kiln-state)
  for dir in "$@"; do
    if debugfs -R "stat $dir" "$disk?offset=$start" 2>&1 >/dev/null | grep -q "File not found"; then
      state_debugfs "$disk" -w -R "mkdir $dir"
    fi
  done
}
