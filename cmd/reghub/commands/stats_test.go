package commands

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// reghub stats on a hub with nothing: zeros in the contract's shape, as
// JSON and CSV; bad dates and periods: a clear error, exit 2, before the
// hub is opened.
func TestStatsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	pass := writeFile(t, "pass", "a good hub passphrase\n")
	var out, errb bytes.Buffer
	if code := Main([]string{"init", "--data", dir, "--country", "BIH", "--passphrase-file", pass, "--kdf", "low"}, &out, &errb); code != 0 {
		t.Fatalf("init: %d %s", code, errb.String())
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"stats", "--data", dir, "--passphrase-file", pass}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, stdout, stderr := run("--from", "2026-01-01", "--to", "2026-01-31", "--by", "week")
	if code != 0 {
		t.Fatalf("stats: %d %s", code, stderr)
	}
	var f map[string]any
	if err := json.Unmarshal([]byte(stdout), &f); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	for _, k := range []string{"from", "to", "total", "by_nationality", "by_sex", "by_age_group", "by_category", "by_station", "unaccompanied_children", "series", "suppressed"} {
		if _, ok := f[k]; !ok {
			t.Errorf("no %q in %s", k, stdout)
		}
	}
	if f["total"] != 0.0 || f["from"] != "2026-01-01" || len(f["series"].([]any)) != 5 {
		t.Errorf("figures of nothing: %s", stdout)
	}
	code, stdout, _ = run("--from", "2026-01-01", "--to", "2026-01-31", "--by", "month", "--format", "csv", "--suppress")
	if code != 0 || !strings.HasPrefix(stdout, "figure,code,value\n") || !strings.Contains(stdout, "series,2026-01,0\n") || !strings.Contains(stdout, "suppressed,,true\n") {
		t.Errorf("csv: %d\n%s", code, stdout)
	}
	for _, bad := range [][]string{
		{"--from", "2026-02-30", "--to", "2026-03-01"},
		{"--from", "2026-03-02", "--to", "2026-03-01"},
		{"--from", "2026-03-01", "--to", "2026-03-02", "--by", "year"},
		{"--from", "2026-03-01", "--to", "2026-03-02", "--format", "xml"},
		{"--to", "2026-03-02"},
	} {
		code, stdout, stderr := run(bad...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "reghub stats:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", bad, code, stdout, stderr)
		}
	}
}
