# Median of the per-round ratios of two contenders of one benchmark, for
# one metric. Variables: bench (the benchmark, e.g. BenchmarkRemote), a
# and b (its two sub-benchmarks), unit (the metric, e.g. events/s). The
# input holds rounds in order, each with one line of a and one of b.
#
#	awk -v bench=BenchmarkRemote -v a=cwzap -v b=rawSDK -v unit=events/s -f ratio.awk remote.txt
function metric(u,   i) { for (i = 3; i < NF; i++) if ($(i + 1) == u) return $i; return "" }
index($1, bench "/" a "-") == 1 || $1 == bench "/" a { x[++nx] = metric(unit) }
index($1, bench "/" b "-") == 1 || $1 == bench "/" b { y[++ny] = metric(unit) }
END {
	n = nx < ny ? nx : ny
	for (i = 1; i <= n; i++) q[i] = x[i] / y[i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
	if (n > 0) printf "median %s/%s %s: %.3f (min %.3f, max %.3f, %d rounds)\n", a, b, unit, (n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2), q[1], q[n], n
}
