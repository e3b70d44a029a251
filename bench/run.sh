#!/usr/bin/env bash
# Runs every benchmark of the bench module, keeps the raw output and prints
# benchstat tables. Usage, from anywhere:
#
#	bench/run.sh            # COUNT=6 rounds, output in bench/out/<UTC date>/
#	COUNT=10 OUT=/tmp/b bench/run.sh
#
# Files written in $OUT: encoder.txt (BenchmarkLogger, BenchmarkCore),
# delivery.txt (BenchmarkEndToEnd, 1,000,000 events per run),
# remote.txt (BenchmarkRemote, the endpoint a `cwzap serve` process,
# 1,000,000 events per run, max(COUNT, 8) interleaved rounds),
# remote-ratio.txt (cwzap/rawSDK per round),
# latency.txt (BenchmarkCallerLatency), overload.txt (BenchmarkOverload),
# spool.txt (BenchmarkSpool),
# fleet.txt (BenchmarkFleet, one run of FLEET_FOR per scenario, default
# 30s, with its table), ratio.txt (cwzap/rawSDK events/s per round),
# env.txt, bench.test.
#
# The machine is shared and noisy: BenchmarkEndToEnd is run as COUNT
# rounds of -count 1, so that cwzap and rawSDK alternate in time and each
# round gives a paired ratio; the median of those ratios is what to quote.
# benchstat is run with `go run …@latest` and never added to a go.mod.
set -euo pipefail

cd "$(dirname "$0")"
COUNT=${COUNT:-6}
FLEET_FOR=${FLEET_FOR:-30s}
OUT=${OUT:-out/$(date -u +%Y-%m-%dT%H%M%SZ)}
BENCHSTAT=${BENCHSTAT:-go run golang.org/x/perf/cmd/benchstat@latest}
mkdir -p "$OUT"

{
	date -u +%Y-%m-%dT%H:%M:%SZ
	go version
	echo "nproc $(nproc)  loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
	grep -m1 'model name' /proc/cpuinfo || true
} | tee "$OUT/env.txt"

go test -c -o "$OUT/bench.test" .
go build -o "$OUT/cwzap" ../cmd/cwzap
run() { "$OUT/bench.test" -test.run '^$' -test.benchmem "$@"; }

echo "==> encoder (-count $COUNT)"
run -test.bench '^Benchmark(Logger|Core)$' -test.count "$COUNT" | tee "$OUT/encoder.txt"

echo "==> delivery ($COUNT interleaved rounds)"
: >"$OUT/delivery.txt"
for _ in $(seq "$COUNT"); do
	run -test.bench '^BenchmarkEndToEnd$' -test.benchtime 1000000x -test.count 1 | tee -a "$OUT/delivery.txt"
done

REMOTE_ROUNDS=$((COUNT > 8 ? COUNT : 8))
echo "==> remote delivery ($REMOTE_ROUNDS interleaved rounds)"
: >"$OUT/remote.txt"
for _ in $(seq "$REMOTE_ROUNDS"); do
	run -test.bench '^BenchmarkRemote$' -test.benchtime 1000000x -test.count 1 -remote.cwzap "$OUT/cwzap" | tee -a "$OUT/remote.txt"
done

echo "==> caller latency (-count $COUNT)"
run -test.bench '^BenchmarkCallerLatency$' -test.benchtime 1x -test.count "$COUNT" | tee "$OUT/latency.txt"

echo "==> overload (-count $COUNT)"
run -test.bench '^BenchmarkOverload$' -test.benchtime 1x -test.count "$COUNT" | tee "$OUT/overload.txt"

# The spool (WithSpool) against none: caller and end-to-end in interleaved
# rounds, each round one paired ratio; then SIGKILL over 5 kill points.
echo "==> spool ($COUNT interleaved rounds, then SIGKILL -benchtime 5x)"
: >"$OUT/spool.txt"
for _ in $(seq "$COUNT"); do
	run -test.bench '^BenchmarkSpool/(Caller|EndToEnd)/' -test.benchtime 500000x -test.count 1 | tee -a "$OUT/spool.txt"
done
run -test.bench '^BenchmarkSpool/SIGKILL/' -test.benchtime 5x -test.count 1 | tee -a "$OUT/spool.txt"

# One run: each scenario lasts FLEET_FOR, and the table is what to quote.
echo "==> fleet (-fleet.for $FLEET_FOR)"
run -test.bench '^BenchmarkFleet$' -test.benchtime 1x -fleet.for "$FLEET_FOR" | tee "$OUT/fleet.txt"

# cwzap/rawSDK events/s, paired by round (the i-th cwzap line with the i-th
# rawSDK line), then their median.
awk '
	function metric(unit,   i) { for (i = 3; i < NF; i++) if ($(i + 1) == unit) return $i; return "" }
	/^BenchmarkEndToEnd\/cwzap/  { c[++nc] = metric("events/s") }
	/^BenchmarkEndToEnd\/rawSDK/ { r[++nr] = metric("events/s") }
	END {
		n = nc < nr ? nc : nr
		for (i = 1; i <= n; i++) { q[i] = c[i] / r[i]; printf "round %d: cwzap %d  rawSDK %d  ratio %.3f\n", i, c[i], r[i], q[i] }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
		if (n > 0) printf "median cwzap/rawSDK events/s: %.3f (min %.3f, max %.3f, %d rounds)\n", (n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2), q[1], q[n], n
	}' "$OUT/delivery.txt" | tee "$OUT/ratio.txt"

# The same for the remote rounds, events/s and the client's CPU per event.
for m in events/s client-cpu-ns/op; do
	awk -v bench=BenchmarkRemote -v a=cwzap -v b=rawSDK -v unit="$m" -f ratio.awk "$OUT/remote.txt"
done | tee "$OUT/remote-ratio.txt"

for f in encoder delivery remote latency overload; do
	echo
	echo "==> benchstat $OUT/$f.txt"
	$BENCHSTAT "$OUT/$f.txt"
done
