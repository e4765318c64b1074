package registry

import (
	"strings"
	"testing"
)

// FuzzParseRegID: typed or scanned IDs are untrusted. Whatever is accepted
// must be canonical and re-parse to itself.
func FuzzParseRegID(f *testing.F) {
	for _, s := range []string{"BIH-7KQ4-M2XD-9TRC", "bih 7kq4 m2xd 9trc", "", "BIH-", "SRB-OOOO-IIII-LLLL", "ÀÀÀ-0000-0000-0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRegID(s)
		if err != nil {
			return
		}
		again, err := ParseRegID(id)
		if err != nil || again != id || len(id) != 18 || strings.ToUpper(id) != id {
			t.Fatalf("accepted %q as %q, re-parse %q %v", s, id, again, err)
		}
	})
}

// FuzzParseDate: accepted dates format back to themselves.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1990-05-12", "1990-05", "1990", "~1990", "", "1990-02-30", "99999", "~", "-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		d2, err := ParseDate(d.String())
		if err != nil || d2 != d {
			t.Fatalf("%q -> %v -> %q: %v", s, d, d.String(), err)
		}
	})
}
