package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/registry"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors")

// Test vectors: each file's name says the expected outcome (as in age's
// testdata): ok_, damaged_, not_for_us_, bad_signature_, not_bundle_,
// malformed_, too_large_. They are opened with testdata/vectors/identity.txt
// (a test key) and checked against the signer key in signer.hex.
var outcomes = []struct {
	prefix string
	err    error
}{
	{"ok_", nil},
	{"damaged_", ErrDamaged},
	{"not_for_us_", ErrNotForUs},
	{"bad_signature_", ErrBadSignature},
	{"not_bundle_", ErrNotBundle},
	{"malformed_", ErrMalformed},
	{"too_large_", ErrTooLarge},
}

func vectorFixture(t *testing.T) *fixture {
	t.Helper()
	dir := filepath.Join("testdata", "vectors")
	if *updateVectors {
		f := newFixture(t)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "identity.txt"), []byte(f.id.String()+"\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "signer.seed"), f.priv.Seed(), 0o644)
		return f
	}
	idb, err := os.ReadFile(filepath.Join(dir, "identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(idb)))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "signer.seed"))
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &fixture{id: id, priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}

func writeVectors(t *testing.T, f *fixture) {
	dir := filepath.Join("testdata", "vectors")
	to := f.id.Recipient()
	ok := write(t, f, to, events(f, 3))
	flip := func(i int) []byte { c := bytes.Clone(ok); c[i] ^= 0x40; return c }
	other, _ := age.GenerateX25519Identity()
	g := &fixture{id: f.id}
	g.pub, g.priv, _ = ed25519.GenerateKey(nil)
	hb, _ := encMode.Marshal(header(f, f.self()))
	files := map[string][]byte{
		"ok_three_events.bundle":             ok,
		"ok_no_events.bundle":                write(t, f, to, nil),
		"damaged_truncated_half.bundle":      ok[:len(ok)/2],
		"damaged_truncated_last_byte.bundle": ok[:len(ok)-1],
		"damaged_flipped_payload.bundle":     flip(len(ok) - 40),
		"damaged_appended_byte.bundle":       append(bytes.Clone(ok), 0),
		"not_for_us_other_recipient.bundle":  write(t, f, other.Recipient(), events(f, 3)),
		"bad_signature_other_signer.bundle":  write(t, g, to, events(g, 3)),
		"not_bundle_empty.bundle":            {},
		"not_bundle_text.bundle":             []byte("family_name,given_names\nFakeperson,Testee\n"),
		"not_bundle_age_of_other.bundle":     encrypt(t, to, []byte("an age file, not a bundle")),
		"malformed_unknown_frame.bundle":     encrypt(t, to, frames(frame('H', hb), frame('Q', nil))),
		"too_large_header_frame.bundle":      encrypt(t, to, frames(append([]byte{'H'}, appendUvarint(nil, MaxHeaderBytes+1)...))),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVectors(t *testing.T) {
	f := vectorFixture(t)
	if *updateVectors {
		writeVectors(t, f)
	}
	names, _ := filepath.Glob(filepath.Join("testdata", "vectors", "*.bundle"))
	if len(names) < 10 {
		t.Fatalf("only %d vectors", len(names))
	}
	for _, name := range names {
		base := filepath.Base(name)
		t.Run(base, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var want error
			found := false
			for _, o := range outcomes {
				if strings.HasPrefix(base, o.prefix) {
					want, found = o.err, true
				}
			}
			if !found {
				t.Fatalf("vector name says no outcome")
			}
			bd, err := Open(bytes.NewReader(b), f.id, f.self(), f.trust, Options{})
			if want == nil {
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				if err := bd.Apply(func(evs []*registry.Event) error { n += len(evs); return nil }); err != nil || n != bd.Events() {
					t.Fatalf("apply: %v (%d of %d)", err, n, bd.Events())
				}
				return
			}
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}
