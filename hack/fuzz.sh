#!/usr/bin/env bash
# Copyright 2026 The secrets-store-integration Authors
# SPDX-License-Identifier: Apache-2.0

# Runs every fuzz target of the module for FUZZTIME each and prints one line per target with
# the inputs it tried. A target fails only on a real failure: one that left a reproducer in
# testdata/fuzz/<target>/, or any failure other than the fuzz coordinator's end-of-time race
# (Go before 1.27 can report "context deadline exceeded" when -fuzztime runs out while a worker
# is mid-input, with no failing input: go.dev/issue/75804); such a run is reported as a flake.
set -euo pipefail
fuzztime=${FUZZTIME:-30s}
passed=0 failed=0 flaked=0 execs_total=0
summary=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}'); do
    corpus="$dir/testdata/fuzz/$f"
    before=$(ls "$corpus" 2>/dev/null | sort || true)
    echo ">> $pkg $f"
    log=$(mktemp)
    rc=0
    go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" 2>&1 | tee "$log" || rc=$?
    execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    execs=${execs:-0}
    execs_total=$((execs_total + execs))
    after=$(ls "$corpus" 2>/dev/null | sort || true)
    name="${pkg#github.com/deckhouse/secrets-store-integration/}.$f"
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1)); summary+=("$name: $execs inputs, ok")
    elif [ "$before" = "$after" ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
      flaked=$((flaked + 1)); summary+=("$name: $execs inputs, flake at the end of -fuzztime (go.dev/issue/75804), no failing input")
    else
      failed=$((failed + 1)); summary+=("$name: $execs inputs, FAILED (see above; the input is in $corpus)")
    fi
    rm -f "$log"
  done
done
echo
printf '%s\n' "${summary[@]}"
echo "inputs tried: $execs_total in $((passed + failed + flaked)) targets, $fuzztime each"
echo "fuzz: $passed passed, $failed failed, $flaked flaked"
[ "$failed" -eq 0 ]
