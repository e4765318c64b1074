package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestRegIDRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		id, err := NewRegID("BIH", nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		got, err := ParseRegID(strings.ToLower(strings.ReplaceAll(id, "-", " ")))
		if err != nil || got != id {
			t.Fatalf("parse %s: %q %v", id, got, err)
		}
	}
}

// Every single substitution and every adjacent transposition in the body is caught.
func TestRegIDCheckCatchesTypos(t *testing.T) {
	for n := 0; n < 200; n++ {
		id, _ := NewRegID("SRB", nil)
		body := []byte(strings.ReplaceAll(id[4:], "-", ""))
		for i := range body {
			for _, c := range []byte(crockford) {
				if c == body[i] {
					continue
				}
				typo := append([]byte(nil), body...)
				typo[i] = c
				if _, err := ParseRegID("SRB" + string(typo)); !errors.Is(err, ErrBadRegID) {
					t.Fatalf("substitution %s -> %s not caught", body, typo)
				}
			}
			if i+1 < len(body) && body[i] != body[i+1] {
				typo := append([]byte(nil), body...)
				typo[i], typo[i+1] = typo[i+1], typo[i]
				if _, err := ParseRegID("SRB" + string(typo)); !errors.Is(err, ErrBadRegID) {
					t.Fatalf("transposition %s -> %s not caught", body, typo)
				}
			}
		}
	}
}

func TestRegIDReadAliases(t *testing.T) {
	id := "BIH-" // build one with 0 and 1 in it deterministically
	body := "01ABCDEF012"
	full := id + body[:4] + "-" + body[4:8] + "-" + body[8:] + string(checkChar(body))
	typed := strings.NewReplacer("0", "O", "1", "l").Replace(full[4:])
	got, err := ParseRegID("bih" + typed)
	if err != nil || got != full {
		t.Fatalf("aliases: %q %v, want %s", got, err, full)
	}
}

func TestRegIDRejects(t *testing.T) {
	for _, s := range []string{"", "BIH", "BIH-7KQ4-M2XD-9TR", "12H-7KQ4-M2XD-9TRC", "BIH-7KQ4-M2XD-9TRÇ", "BIH-7KQ4-M2XD-9TRCX"} {
		if _, err := ParseRegID(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
