package commands

import (
	"bytes"
	"strings"
	"testing"
)

// reghub help names every command of the table, each with its summary.
func TestHelpListsEveryCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"help"}, &out, &errb); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	lines := strings.Split(out.String(), "\n")
	for name, c := range Commands() {
		found := false
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 1 && f[0] == name && strings.HasSuffix(l, c.Summary) {
				found = true
			}
		}
		if !found {
			t.Errorf("help does not list %q:\n%s", name, out.String())
		}
	}
}
