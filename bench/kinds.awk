# The table of BenchmarkCorpusKinds from compare.sh's X-kinds.txt (KINDS=1):
# per kind, the medians over rounds of cwzap/zap for the whole entry and
# for its ten fields, an entry's CPU less that of an entry of ten booleans
# in the same round. Rounds are in order; a round holds each kind once.
#
#	awk -f kinds.awk /tmp/cmp/new-kinds.txt
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 ~ /^BenchmarkCorpusKinds\// {
	split($1, p, "/"); kind = p[2]; who = p[3]; sub(/-[0-9]+$/, "", who)
	if (kind == "string" && who == "cwzap") r++
	if (!(kind in seen)) { seen[kind] = 1; order[++nk] = kind }
	cpu[r, kind, who] = $3
}
END {
	printf "| kind | cwzap, ns | zap, ns | entry, cwzap/zap | ten fields, cwzap/zap |\n| --- | ---: | ---: | ---: | ---: |\n"
	for (k = 1; k <= nk; k++) {
		kind = order[k]
		for (i = 1; i <= r; i++) {
			c[i] = cpu[i, kind, "cwzap"]; z[i] = cpu[i, kind, "zap"]; e[i] = c[i] / z[i]
			f[i] = (c[i] - cpu[i, "bool", "cwzap"]) / (z[i] - cpu[i, "bool", "zap"])
		}
		printf "| %s | %.0f | %.0f | %.2f | %s |\n", kind, median(c, r), median(z, r), median(e, r), kind == "bool" ? "—" : sprintf("%.2f", median(f, r))
	}
}
