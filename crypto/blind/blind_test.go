package blind

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

func TestToken(t *testing.T) {
	a := New([]byte("key one"))
	b := New([]byte("key two"))
	if !bytes.Equal(a.Token("name", "testperson"), a.Token("name", "testperson")) {
		t.Fatal("not deterministic")
	}
	if bytes.Equal(a.Token("name", "testperson"), b.Token("name", "testperson")) {
		t.Fatal("different keys give the same token")
	}
	if bytes.Equal(a.Token("name", "x"), a.Token("doc", "x")) {
		t.Fatal("kinds are not separated")
	}
	if bytes.Equal(a.Token("na", "mex"), a.Token("nam", "ex")) {
		t.Fatal("kind and value are ambiguous")
	}
	if len(a.Token("name", "x")) != TokenSize {
		t.Fatal("wrong size")
	}
}

// hmacToken is the definition of a token, computed afresh.
func hmacToken(key []byte, kind, value string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00" + value))
	return m.Sum(nil)[:TokenSize]
}

// TestTokenReused: an indexer reused for value after value (long ones
// before short ones, as one person's name after another's) gives each
// value's own token, and a token handed out never changes with later
// calls: nothing of one value reaches another's token.
func TestTokenReused(t *testing.T) {
	key := []byte("a fake search key of thirty-two!")
	x := New(key)
	values := []struct{ kind, value string }{
		{"name", "testafiovichski-longname"}, {"name", "te"}, {"prefix", "tes"}, {"name", ""},
		{"doc", "X00000001"}, {"doc", "X0"}, {"match", "benchkov|1980"}, {"name", "testafiovichski-longname"},
	}
	var got [][]byte
	var slab []byte
	for _, v := range values {
		tok := x.Token(v.kind, v.value)
		if want := hmacToken(key, v.kind, v.value); !bytes.Equal(tok, want) {
			t.Fatalf("token of %s %q from a reused indexer differs from a fresh HMAC", v.kind, v.value)
		}
		got = append(got, tok)
		slab = x.AppendToken(slab, v.kind, v.value)
	}
	for i, v := range values {
		if want := hmacToken(key, v.kind, v.value); !bytes.Equal(got[i], want) {
			t.Fatalf("token %d (%s) changed after later calls", i, v.kind)
		}
		if !bytes.Equal(slab[i*TokenSize:(i+1)*TokenSize], got[i]) {
			t.Fatalf("AppendToken %d differs from Token", i)
		}
	}
	if len(slab) != len(values)*TokenSize {
		t.Fatalf("AppendToken appended %d bytes, want %d", len(slab), len(values)*TokenSize)
	}
}

func TestAppendTokenAllocations(t *testing.T) {
	x := New([]byte("a fake search key of thirty-two!"))
	dst := make([]byte, 0, 4*TokenSize)
	if n := testing.AllocsPerRun(100, func() { dst = x.AppendToken(dst[:0], "prefix", "benchkov") }); n != 0 {
		t.Fatalf("AppendToken allocated %v times a call, want 0", n)
	}
}
