package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// fixture is a receiver's identity and an exporter's signing key.
type fixture struct {
	id   *age.X25519Identity
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	return &fixture{id: id, pub: pub, priv: priv}
}

func (f *fixture) self() string { return f.id.Recipient().String() }

func (f *fixture) trust(h *Header) (ed25519.PublicKey, error) { return f.pub, nil }

// events makes n signed events with opaque payloads (they stand for sealed
// changes; no personal data).
func events(f *fixture, n int) []*registry.Event {
	out := make([]*registry.Event, n)
	for i := range out {
		e := &registry.Event{Origin: "dev0001", Epoch: 7, Seq: uint64(i + 1), HLC: registry.MakeHLC(1_700_000_000_000+int64(i), 0),
			Officer: "off01", Record: fmt.Sprintf("BIH-TEST-%d", i), Op: registry.OpRegister, Payload: bytes.Repeat([]byte{byte(i)}, 40+i%50)}
		e.Sign(f.priv)
		out[i] = e
	}
	return out
}

func header(f *fixture, to string) *Header {
	return &Header{ID: NewID(), Kind: KindToHub, Country: "BIH", From: "dev0001", FromKey: to, To: HubID, ToKey: to,
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli(), Vector: wire.FromVector(vector.Vector{{Origin: "dev0001", Epoch: 7}: 3})}
}

// write makes a bundle of evs with two credential frames and a revocation
// list frame (opaque bytes: the format does not interpret them).
func write(t testing.TB, f *fixture, to *age.X25519Recipient, evs []*registry.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, to, header(f, to.String()), func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]byte{[]byte("credential one"), []byte("credential two")} {
		if err := w.Credential(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Revocations([]byte("revocation list")); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openAll opens b and applies it, returning the events applied.
func openAll(f *fixture, b []byte, opts Options) ([]*registry.Event, *Bundle, error) {
	bd, err := Open(bytes.NewReader(b), f.id, f.self(), f.trust, opts)
	if err != nil {
		return nil, nil, err
	}
	var got []*registry.Event
	err = bd.Apply(func(evs []*registry.Event) error {
		if len(evs) > ChunkEvents {
			return fmt.Errorf("chunk of %d events", len(evs))
		}
		got = append(got, evs...)
		return nil
	})
	return got, bd, err
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int{0, 1, 999, 1000, 1001, 2500} {
		evs := events(f, n)
		b := write(t, f, f.id.Recipient(), evs)
		chunks := 0
		got, bd, err := openAll(f, b, Options{Check: func(c []*registry.Event) error { chunks++; return nil }})
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		if len(got) != n || bd.Events() != n || chunks != (n+ChunkEvents-1)/ChunkEvents {
			t.Fatalf("%d events: got %d, header says %d, %d chunks", n, len(got), bd.Events(), chunks)
		}
		for i, e := range got {
			if e.ID() != evs[i].ID() || e.Verify(f.pub) != nil {
				t.Fatalf("event %d differs or does not verify", i)
			}
		}
		if len(bd.Credentials()) != 2 || string(bd.Revocations()) != "revocation list" || bd.Header().From != "dev0001" {
			t.Fatalf("trust frames or header lost: %+v", bd.Header())
		}
	}
}

// mustRefuse opens b and fails unless Open (not Apply) refuses it with one
// of wants; nothing may reach the apply callback.
func mustRefuse(t *testing.T, f *fixture, name string, b []byte, wants ...error) {
	t.Helper()
	applied := 0
	bd, err := Open(bytes.NewReader(b), f.id, f.self(), f.trust, Options{})
	if err == nil {
		_ = bd.Apply(func(evs []*registry.Event) error { applied += len(evs); return nil })
		t.Fatalf("%s: accepted (%d events applied)", name, applied)
	}
	for _, w := range wants {
		if errors.Is(err, w) {
			return
		}
	}
	t.Fatalf("%s: error %v, want one of %v", name, err, wants)
}

func TestTruncated(t *testing.T) {
	f := newFixture(t)
	b := write(t, f, f.id.Recipient(), events(f, 300))
	cuts := []int{0, 1, 10, 21, 22, 50, 100, len(b) / 3, len(b) / 2, len(b) - 100, len(b) - 17, len(b) - 1}
	for i := 0; i < 40; i++ {
		cuts = append(cuts, rand.IntN(len(b)))
	}
	for _, n := range cuts {
		mustRefuse(t, f, fmt.Sprintf("cut at %d of %d", n, len(b)), b[:n], ErrDamaged, ErrNotBundle)
	}
}

func TestEveryByteFlipped(t *testing.T) {
	f := newFixture(t)
	b := write(t, f, f.id.Recipient(), events(f, 20))
	positions := make([]int, 0, len(b))
	if testing.Short() {
		for i := 0; i < 300; i++ {
			positions = append(positions, rand.IntN(len(b)))
		}
	} else {
		for i := range b {
			positions = append(positions, i)
		}
	}
	for _, i := range positions {
		c := bytes.Clone(b)
		c[i] ^= 1 << rand.IntN(8)
		// A flip in the age header's text or stanza can also read as "not a
		// bundle" or "not for us": refused either way, nothing applied.
		mustRefuse(t, f, fmt.Sprintf("flip at %d of %d", i, len(b)), c, ErrDamaged, ErrNotForUs, ErrNotBundle)
	}
	// Appended bytes too.
	mustRefuse(t, f, "appended byte", append(bytes.Clone(b), 0), ErrDamaged)
}

func TestWrongRecipient(t *testing.T) {
	f := newFixture(t)
	other, _ := age.GenerateX25519Identity()
	b := write(t, f, other.Recipient(), events(f, 5))
	mustRefuse(t, f, "encrypted to another", b, ErrNotForUs)

	// A bundle decrypted by its real recipient and re-encrypted to us still
	// names the original recipient under the signature.
	pt := decrypt(t, other, b)
	mustRefuse(t, f, "re-encrypted", encrypt(t, f.id.Recipient(), pt), ErrNotForUs)
}

func TestBadSignature(t *testing.T) {
	f := newFixture(t)
	b := write(t, f, f.id.Recipient(), events(f, 5))
	g := *f
	g.pub, _, _ = ed25519.GenerateKey(nil)
	mustRefuse(t, &g, "signed by someone else", b, ErrBadSignature)

	// Changing the plaintext and re-encrypting (anyone can encrypt to the
	// recipient) breaks the hash.
	pt := decrypt(t, f.id, b)
	i := bytes.Index(pt, []byte("credential two"))
	pt[i] = 'K'
	mustRefuse(t, f, "plaintext altered", encrypt(t, f.id.Recipient(), pt), ErrDamaged)
}

var errRevoked = errors.New("revoked exporter")

func TestTrustRefuses(t *testing.T) {
	f := newFixture(t)
	b := write(t, f, f.id.Recipient(), events(f, 5))
	_, err := Open(bytes.NewReader(b), f.id, f.self(), func(*Header) (ed25519.PublicKey, error) { return nil, errRevoked }, Options{})
	if !errors.Is(err, errRevoked) {
		t.Fatalf("got %v", err)
	}
	errCheck := errors.New("forged event")
	_, err = Open(bytes.NewReader(b), f.id, f.self(), f.trust, Options{Check: func([]*registry.Event) error { return errCheck }})
	if !errors.Is(err, errCheck) {
		t.Fatalf("got %v", err)
	}
}

func TestNotBundles(t *testing.T) {
	f := newFixture(t)
	rnd := make([]byte, 4096)
	for i := range rnd {
		rnd[i] = byte(rand.IntN(256))
	}
	mustRefuse(t, f, "empty file", nil, ErrNotBundle)
	mustRefuse(t, f, "random file", rnd, ErrNotBundle)
	mustRefuse(t, f, "text file", []byte("Fakeperson, Testee\n"), ErrNotBundle)
	mustRefuse(t, f, "age file of other content", encrypt(t, f.id.Recipient(), []byte("hello, not a bundle")), ErrNotBundle)
	mustRefuse(t, f, "empty age file", encrypt(t, f.id.Recipient(), nil), ErrNotBundle)
}

// frames builds a plaintext from raw frames after the magic.
func frames(parts ...[]byte) []byte {
	b := []byte(Magic)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func frame(tag byte, body []byte) []byte {
	b := []byte{tag}
	b = appendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func TestMalformedPlaintext(t *testing.T) {
	f := newFixture(t)
	hb, _ := encMode.Marshal(header(f, f.self()))
	ev, _ := encMode.Marshal(events(f, 1)[0])
	to := f.id.Recipient()
	cases := []struct {
		name string
		pt   []byte
		want error
	}{
		{"only magic", frames(), ErrDamaged},
		{"other version", append([]byte(Magic[:len(Magic)-1]), 9), ErrMalformed},
		{"event before header", frames(frame('E', ev)), ErrMalformed},
		{"two headers", frames(frame('H', hb), frame('H', hb)), ErrMalformed},
		{"unknown frame", frames(frame('H', hb), frame('Q', nil)), ErrMalformed},
		{"credential after event", frames(frame('H', hb), frame('E', ev), frame('C', []byte("x"))), ErrMalformed},
		{"huge header", frames(append([]byte{'H'}, appendUvarint(nil, MaxHeaderBytes+1)...)), ErrTooLarge},
		{"huge event", frames(frame('H', hb), append([]byte{'E'}, appendUvarint(nil, MaxEventBytes+1)...)), ErrTooLarge},
		{"huge credential", frames(frame('H', hb), frame('C', make([]byte, MaxCredentialBytes+1))), ErrTooLarge},
		{"overlong varint", frames(append([]byte{'H'}, bytes.Repeat([]byte{0xff}, 11)...)), ErrDamaged},
		{"header garbage", frames(frame('H', []byte{0xff, 0x00})), ErrMalformed},
		{"event garbage", frames(frame('H', hb), frame('E', []byte{0xa0})), ErrMalformed},
		{"no trailer", frames(frame('H', hb), frame('E', ev)), ErrDamaged},
		{"bad trailer", frames(frame('H', hb), frame('E', ev), frame('Z', []byte{1, 2, 3})), ErrMalformed},
	}
	for _, c := range cases {
		mustRefuse(t, f, c.name, encrypt(t, to, c.pt), c.want)
	}
}

// swapReader serves one content for the first pass and another after the
// first Seek: a file replaced between the passes.
type swapReader struct {
	*bytes.Reader
	next []byte
}

func (s *swapReader) Seek(off int64, whence int) (int64, error) {
	if s.next != nil {
		s.Reader, s.next = bytes.NewReader(s.next), nil
	}
	return s.Reader.Seek(off, whence)
}

func TestFileChangedBetweenPasses(t *testing.T) {
	f := newFixture(t)
	a := write(t, f, f.id.Recipient(), events(f, 1500))
	evs := events(f, 1500)
	evs[1200].Payload = []byte("different") // a valid, signed bundle, but another one
	evs[1200].Sign(f.priv)
	b := write(t, f, f.id.Recipient(), evs)
	bd, err := Open(&swapReader{Reader: bytes.NewReader(a), next: b}, f.id, f.self(), f.trust, Options{})
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	err = bd.Apply(func(evs []*registry.Event) error { applied += len(evs); return nil })
	if !errors.Is(err, ErrDamaged) || applied != 1000 {
		t.Fatalf("got %v after %d events; want ErrDamaged before the changed chunk", err, applied)
	}
}

func TestWriterOrder(t *testing.T) {
	f := newFixture(t)
	w, err := NewWriter(io.Discard, f.id.Recipient(), header(f, f.self()), func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Event(events(f, 1)[0]); err != nil {
		t.Fatal(err)
	}
	if w.Credential([]byte("late")) == nil || w.Revocations([]byte("late")) == nil {
		t.Fatal("trust frames accepted after events")
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := NewWriter(io.Discard, other.Recipient(), header(f, f.self()), nil); err == nil {
		t.Fatal("header naming another recipient accepted")
	}
	bad := header(f, f.self())
	bad.Country = "Bosnia"
	if _, err := NewWriter(io.Discard, f.id.Recipient(), bad, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed header: %v", err)
	}
}

func encrypt(t testing.TB, to age.Recipient, pt []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pt)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decrypt(t testing.TB, id age.Identity, b []byte) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(b), id)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// A bundle never replaces a file; a new name is written whole.
func TestWriteFileNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(doc, []byte("an officer's notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	called := false
	err := WriteFile(doc, "", func(f *os.File) error { called = true; _, err := f.Write([]byte("bundle")); return err })
	if !errors.Is(err, ErrExists) || called {
		t.Fatalf("err %v, bundle written: %v", err, called)
	}
	if b, _ := os.ReadFile(doc); string(b) != "an officer's notes" {
		t.Fatal("the file was replaced")
	}
	fresh := filepath.Join(dir, "post-12.bundle")
	if err := WriteFile(fresh, "", func(f *os.File) error { _, err := f.Write([]byte("bundle")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); string(b) != "bundle" {
		t.Fatalf("wrote %q", b)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".bundle-*")); len(tmps) != 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

// The authority's documents (notice contacts, reception centres,
// retention rules) ride in their own frames, once each, before the
// revocation list; a bundle without them reads as before.
func TestDocumentFrames(t *testing.T) {
	f := newFixture(t)
	sign := func(m []byte) []byte { return ed25519.Sign(f.priv, m) }
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f.id.Recipient(), header(f, f.self()), sign)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Credential([]byte("credential")); err != nil {
		t.Fatal(err)
	}
	for _, k := range trust.DocKinds {
		if err := w.Document(k, []byte(k.Name())); err != nil {
			t.Fatal(err)
		}
		if w.Document(k, []byte("again")) == nil {
			t.Errorf("a second %s frame accepted", k.Name())
		}
	}
	if err := w.Revocations([]byte("revocation list")); err != nil {
		t.Fatal(err)
	}
	for _, e := range events(f, 3) {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, bd, err := openAll(f, buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(bd.Revocations()) != "revocation list" || len(got) != 3 {
		t.Fatalf("revocations %q, %d events", bd.Revocations(), len(got))
	}
	for _, k := range trust.DocKinds {
		if string(bd.Document(k)) != k.Name() {
			t.Errorf("%s frame: %q", k.Name(), bd.Document(k))
		}
	}
	_, bd, err = openAll(f, write(t, f, f.id.Recipient(), events(f, 1)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range trust.DocKinds {
		if bd.Document(k) != nil {
			t.Errorf("a bundle without documents: %s %q", k.Name(), bd.Document(k))
		}
	}

	late, err := NewWriter(io.Discard, f.id.Recipient(), header(f, f.self()), sign)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range trust.DocKinds {
		if late.Document(k, make([]byte, k.MaxSize()+1)) == nil {
			t.Errorf("oversized %s accepted", k.Name())
		}
	}
	if err := late.Revocations([]byte("revocation list")); err != nil {
		t.Fatal(err)
	}
	for _, k := range trust.DocKinds {
		if late.Document(k, []byte("late")) == nil {
			t.Errorf("%s accepted after the revocation list", k.Name())
		}
	}
}
