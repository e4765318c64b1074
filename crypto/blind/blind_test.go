package blind

import (
	"bytes"
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
