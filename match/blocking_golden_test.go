package match

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestBlockingKeysUnchanged pins the keys of a few records: they are turned
// into blind indexes that are stored, so a change of their bytes would
// leave every stored record unfindable. The sums are of the keys as the
// earlier version of blockingKeys built them.
func TestBlockingKeysUnchanged(t *testing.T) {
	cases := []struct {
		r   Record
		sum string
	}{
		{person("Al-Testhussein", "Mohammed", "M", "1990-05-14", "SYR", "N1234567"), "cacb4e977131cba6"},
		{person("Testhossein", "Muhammad", "M", "~1991", "", ""), "c4f02eeffdbd2c39"},
		{person("Fakename Othername Thirdname", "Testee Maria Anna Sofia", "F", "", "", "AB12"), "b63caed86baf40d9"},
		{person("Ελληνική", "Δοκιμή", "X", "1960", "", "X9"), "31311a592168e797"},
	}
	for _, c := range cases {
		s := sha256.Sum256([]byte(strings.Join(BlockingKeys(c.r), "\n")))
		if got := hex.EncodeToString(s[:8]); got != c.sum {
			t.Errorf("keys of a %d-key record: sum %s, want %s", len(BlockingKeys(c.r)), got, c.sum)
		}
	}
}
