package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad input to `fieldreg stats` is refused with a clear message and exit 2
// before the data directory is opened (here it does not even exist) or a
// passphrase asked.
func TestStatsBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never-made")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2026-03-01"}, "--from and --to are required"},
		{[]string{"--from", "2026-03-05", "--to", "2026-03-01"}, "fieldreg stats:"},
		{[]string{"--from", "2026-03-01", "--to", "2026-03-02", "--by", "year"}, "use day, week or month"},
		{[]string{"--from", "2026-03-01", "--to", "2026-03-02", "--format", "xml"}, "use json or csv"},
		{[]string{"--from", "2026-03-01", "--to", "2026-03-02", "--top", "-1"}, "fieldreg stats:"},
	} {
		args := append([]string{"stats", "--data", dir}, c.args...)
		code, out, errs := run(t, time.Now(), "", args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q %q; want exit 2 and %q", c.args, code, out, errs, c.want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%v: the data directory was made", c.args)
		}
	}
}
