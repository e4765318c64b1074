package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAttackWireNotUTF8: encoding/json reads bytes that are not UTF-8 as
// U+FFFD without a word. Messages between a device and its hub (hello,
// pull, answers, "registered elsewhere?" replies) are refused instead.
func TestAttackWireNotUTF8(t *testing.T) {
	var hits struct {
		Surnames string `json:"surnames"`
	}
	err := ReadJSON(strings.NewReader(`{"surnames":"M`+"\xfc"+`llerfake"}`), MaxJSONBytes, false, &hits)
	if !errors.Is(err, ErrNotUTF8) || hits.Surnames != "" || strings.Contains(err.Error(), "fake") {
		t.Fatalf("got %q, %v", hits.Surnames, err)
	}
	if err := ReadJSON(strings.NewReader(`{"surnames":"Müllerfake"}`), MaxJSONBytes, false, &hits); err != nil || hits.Surnames != "Müllerfake" {
		t.Fatalf("UTF-8: %q, %v", hits.Surnames, err)
	}
	var h Hello
	for name, c := range map[string]struct {
		body   string
		strict bool
		want   error
	}{
		"unknown key, strict": {`{"version":1,"colour":"red"}`, true, nil},
		"two values":          {`{"version":1} {"version":2}`, false, nil},
		"not JSON":            {`{"version":`, false, nil},
		"too large":           {`{"version":1,"vector":[]}` + strings.Repeat(" ", 100), false, ErrTooLarge},
		"not UTF-8 in a key":  {"{\"vers\xffion\":1}", false, ErrNotUTF8},
	} {
		err := ReadJSON(strings.NewReader(c.body), 64, c.strict, &h)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if err := ReadJSON(strings.NewReader(`{"version":1,"colour":"red"}`+"\n"), 64, false, &h); err != nil || h.Version != 1 {
		t.Errorf("unknown key, not strict (a newer hub): %v", err)
	}
	// A trailer that is not UTF-8 ends the chunk as malformed.
	body := append([]byte{frameTrailer, 18}, []byte("{\"events\":0,\"\xff\":1}")...)
	if _, err := NewReader(bytes.NewReader(body)).Next(); err == nil || err.Error() != "trailer does not match the events sent" {
		t.Errorf("trailer not UTF-8: %v", err)
	}
}

// FuzzReadJSON: whatever ReadJSON accepts was valid UTF-8 JSON, and the
// strings it yields are valid UTF-8.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`{"version":1,"vector":[{"o":"a1","e":1,"s":2}]}`, `{"version":1,"vector":[{"o":"` + "\xfc" + `"}]}`,
		`{"version":"1"}`, `{"version":1}{}`, `{"version":1,"vector":[{"o":"\udcfc"}]}`, ``} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, strict bool) {
		var h Hello
		if err := ReadJSON(bytes.NewReader(b), MaxJSONBytes, strict, &h); err != nil {
			return
		}
		if !utf8.Valid(b) {
			t.Fatal("accepted a message that is not UTF-8")
		}
		for _, hd := range h.Vector {
			if !utf8.ValidString(hd.Origin) {
				t.Fatalf("origin %q", hd.Origin)
			}
		}
		if _, err := ToVector(h.Vector); err == nil {
			for _, hd := range h.Vector {
				if !validID(hd.Origin, MaxIDLen) {
					t.Fatalf("ToVector took origin %q", hd.Origin)
				}
			}
		}
	})
}
