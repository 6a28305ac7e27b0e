# shellcheck shell=bash
# The per-stage time report of scripts/test (sourced, not run).
#
#   times_begin FILE.json      start a report; FILE.json is written at the end
#   timed NAME CMD...          run CMD as the stage NAME and record its wall time
#   times_from_ctest_log LOG PFX  record each test ctest ran (its output in LOG) as a stage
#   times_end                  print the table and write the JSON (also on failure)
#
# The table lists stages in the order they ran, each with its share of the
# total; the three slowest are marked, so they stand out in a CI log.

_times_rows=()   # "name<TAB>seconds<TAB>status"
_times_json=
_times_start=

times_begin() {
  _times_json=$1
  _times_start=$(date +%s.%N)
  mkdir -p "$(dirname "$_times_json")"
}

_times_add() {
  _times_rows+=("$1"$'\t'"$2"$'\t'"$3")
}

timed() {
  local name=$1
  shift
  local t0 t1 status=0
  t0=$(date +%s.%N)
  "$@" || status=$?
  t1=$(date +%s.%N)
  _times_add "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
    "$([ "$status" -eq 0 ] && echo ok || echo failed)"
  return "$status"
}

# ctest prints one line per finished test, in the order they ran:
#   "  3/8 Test  #9: NAME ......   Passed  223.92 sec"
# each becomes a stage "PFX<NAME>".
times_from_ctest_log() {
  local log=$1 prefix=$2
  [ -f "$log" ] || return 0
  while IFS=$'\t' read -r name secs status; do
    [ -n "$name" ] && _times_add "$prefix$name" "$secs" "$status"
  done < <(awk '
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / && $NF == "sec" {
      line = $0
      sub(/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: /, "", line)
      secs = $(NF - 1)
      status = (line ~ / Passed +[0-9.]+ sec$/ ? "ok" : (line ~ /(Not Run|Skipped)/ ? "skipped" : "failed"))
      # the name ends where ctest pads it with dots, or at its "***" status
      name = line
      sub(/ +[.]+ .*$/, "", name)
      sub(/ *[.]*[*][*][*].*$/, "", name)
      sub(/ +(Passed|Failed).*$/, "", name)
      printf "%s\t%.1f\t%s\n", name, secs, status
    }' "$log")
}

times_end() {
  [ -n "$_times_start" ] || return 0
  local total
  total=$(awk -v a="$_times_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  printf '%s\n' "${_times_rows[@]}" | awk -F'\t' -v total="$total" -v json="$_times_json" '
    NF == 3 { n++; name[n] = $1; secs[n] = $2; status[n] = $3 }
    END {
      # the three slowest stages
      for (i = 1; i <= n; i++) order[i] = i
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (secs[order[j]] + 0 > secs[order[i]] + 0) { t = order[i]; order[i] = order[j]; order[j] = t }
      for (i = 1; i <= 3 && i <= n; i++) slow[order[i]] = 1
      printf "\n== scripts/test: wall time per stage (total %.0f s = %.1f min; budget 2400 s) ==\n", total, total / 60
      printf "%-72s %8s %6s  %s\n", "stage", "seconds", "share", "status"
      for (i = 1; i <= n; i++)
        printf "%-72s %8.1f %5.1f%%  %s%s\n", substr(name[i], 1, 72), secs[i],
               (total > 0 ? 100 * secs[i] / total : 0), status[i], (slow[i] ? "  <- slowest" : "")
      printf "%-72s %8.1f %5.1f%%\n", "total", total, 100
      printf "{\n  \"total_seconds\": %s,\n  \"budget_seconds\": 2400,\n  \"stages\": [", total > json
      for (i = 1; i <= n; i++) {
        s = name[i]; gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
        printf "%s\n    {\"name\": \"%s\", \"seconds\": %s, \"status\": \"%s\"}", (i > 1 ? "," : ""), s, secs[i], status[i] > json
      }
      printf "\n  ]\n}\n" > json
    }'
  echo "scripts/test: the same table is in $_times_json"
}
