#!/usr/bin/env bash
# Compares test binaries of this module built from different commits, on a
# shared, loaded machine: each contender runs as its own process with a
# fixed count, binaries alternate (the order rotates every round), and what
# is kept is the CPU time (user + system) per op, which waiting for a core
# does not inflate the way it inflates ns/op. Usage:
#
#	ROUNDS=6 bench/compare.sh OUTDIR old.test new.test ...
#
# For each binary X it writes OUTDIR/X.txt in the benchmark format, one
# line per round and contender (BenchmarkCore/cwzap ... <cpu> cpu-ns/op;
# Logger, Core and, in binaries that have it, Corpus),
# plus the BenchmarkEndToEnd lines of the same round (cpu-ns/op there is the
# process's CPU per event, endpoint included), so that
# `benchstat OUTDIR/old.txt OUTDIR/new.txt` compares them; ratios against
# zap's core are taken from the same binary and round.
#
# With KINDS=1, each round also runs BenchmarkCorpusKinds, each kind and
# contender (cwzap, zap) in its own process, into OUTDIR/X-kinds.txt in the
# same format (cpu-ns/op); kinds.awk turns it into the table of
# bench/README.md: per kind, the medians of the paired ratios of the whole
# entry and of its ten fields (the entry less one of ten booleans).
#
# With REMOTE=1, each round also runs BenchmarkRemote of each binary (the
# endpoint a `cwzap serve` process built once from this checkout, or
# CWZAP) into OUTDIR/X-remote.txt, and the end prints, per binary, the
# medians of the paired cwzap/rawSDK ratios (ratio.awk).
set -euo pipefail

OUT=$1
shift
BINS=()
for b in "$@"; do BINS+=("$(realpath "$b")"); done
ROUNDS=${ROUNDS:-6}
REMOTE=${REMOTE:-}
KINDS=${KINDS:-}
HERE=$(cd "$(dirname "$0")" && pwd)
N=${N:-1000000}
mkdir -p "$OUT"
for b in "${BINS[@]}"; do : >"$OUT/$(basename "$b" .test).txt"; done
if [ -n "$KINDS" ]; then
	for b in "${BINS[@]}"; do : >"$OUT/$(basename "$b" .test)-kinds.txt"; done
fi
if [ -n "$REMOTE" ]; then
	CWZAP=${CWZAP:-$OUT/cwzap}
	[ -x "$CWZAP" ] || (cd "$HERE/.." && go build -o "$CWZAP" ./cmd/cwzap)
	for b in "${BINS[@]}"; do : >"$OUT/$(basename "$b" .test)-remote.txt"; done
fi
echo "start $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"

# Logger and Core run from one goroutine as X/who/serial. A binary built
# before 2026-12-07 names it X/who, with X/who/parallel beside it: there
# the serial case runs in full, unseen, whenever the parallel one does, so
# its parallel figures are the sum of the two.
declare -A serial
for b in "${BINS[@]}"; do
	probe=$("$b" -test.run '^$' -test.bench '^BenchmarkLogger$/^zap$/^serial$' -test.benchtime 1x)
	if grep -q '^BenchmarkLogger/zap/serial' <<<"$probe"; then
		serial[$b]=serial
	else
		serial[$b]=''
		echo "$(basename "$b"): built before X/who/serial; its parallel figures include its serial run" | tee -a "$OUT/load.txt"
	fi
done

# cpu_per_op BINARY PATTERN NAME runs the benchmarks PATTERN selects in
# their own process, N ops, and prints a benchmark line NAME with the
# process's CPU time (user + system) per op.
cpu_per_op() {
	/usr/bin/time -f '%U %S' -o "$OUT/time.tmp" "$1" -test.run '^$' -test.bench "$2" -test.benchtime "${N}x" >/dev/null
	read -r u sy <"$OUT/time.tmp"
	awk -v n="$N" -v u="$u" -v s="$sy" -v name="$3" \
		'BEGIN { printf "%s-2 %d %.1f cpu-ns/op\n", name, n, (u + s) * 1e9 / n }'
}

subs=(Logger:cwzap:serial Logger:cwzap:parallel Logger:zap:serial Logger:zap:parallel
	Core:cwzap:serial Core:cwzap:parallel Core:zap:serial Core:zap:parallel
	Corpus:cwzap:serial Corpus:zap:serial)
for i in $(seq "$ROUNDS"); do
	echo "round $i $(date -u +%T) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
	n=${#BINS[@]}
	for j in $(seq 0 $((n - 1))); do
		b=${BINS[$(((i + j) % n))]}
		out="$OUT/$(basename "$b" .test).txt"
		for s in "${subs[@]}"; do
			IFS=: read -r top who mode <<<"$s"
			# A binary of a commit without the benchmark (BenchmarkCorpus) skips it.
			[ -n "$("$b" -test.list "^Benchmark$top\$")" ] || continue
			pat="^Benchmark$top\$/^$who\$"
			name="Benchmark$top/$who"
			if [ "$mode" = parallel ]; then
				pat="$pat/^parallel\$"
				name="$name/parallel"
			elif [ "$top" != Corpus ]; then
				pat="$pat/^${serial[$b]}\$"
			fi
			cpu_per_op "$b" "$pat" "$name" >>"$out"
		done
		if [ -n "$KINDS" ]; then
			for kind in string int float error time duration bool object ints; do
				for who in cwzap zap; do
					cpu_per_op "$b" "^BenchmarkCorpusKinds\$/^$kind\$/^$who\$" "BenchmarkCorpusKinds/$kind/$who" \
						>>"$OUT/$(basename "$b" .test)-kinds.txt"
				done
			done
		fi
		"$b" -test.run '^$' -test.benchmem -test.bench '^BenchmarkEndToEnd$' -test.benchtime 1000000x |
			grep '^BenchmarkEndToEnd' >>"$out"
		if [ -n "$REMOTE" ]; then
			"$b" -test.run '^$' -test.benchmem -test.bench '^BenchmarkRemote$' -test.benchtime "${N}x" -remote.cwzap "$CWZAP" |
				grep '^BenchmarkRemote' >>"$OUT/$(basename "$b" .test)-remote.txt"
		fi
	done
done
if [ -n "$REMOTE" ]; then
	for b in "${BINS[@]}"; do
		x=$(basename "$b" .test)
		for m in events/s client-cpu-ns/op; do
			echo "$x: $(awk -v bench=BenchmarkRemote -v a=cwzap -v b=rawSDK -v unit="$m" -f "$HERE/ratio.awk" "$OUT/$x-remote.txt")"
		done
	done | tee "$OUT/remote-ratio.txt"
fi
echo "end $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
