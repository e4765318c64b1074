package registry

import (
	"encoding/json"
	"testing"
)

// FuzzAppendKey: a key is written exactly as json.Marshal writes it,
// whatever it holds (a received change's keys are the sender's).
func FuzzAppendKey(f *testing.F) {
	for _, k := range []string{"family_name", "", "a\"b", "<script>", "x&y", "ćirilica", "tab\there", "\x00", "\xff\xfe", "key with spaces", "Z9_"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		want, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		got := appendKey([]byte("{"), k)
		if string(got) != "{"+string(want) {
			t.Fatalf("appendKey(%q) = %s, want {%s", k, got, want)
		}
	})
}
