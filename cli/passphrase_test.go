package cli

import "testing"

// A passphrase file saved by a Windows editor (CRLF, a UTF-8 byte order
// mark) holds the same passphrase as one saved on Linux; spaces inside and
// at the ends are part of the passphrase.
func TestPassphraseLine(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"correct horse battery staple\n", "correct horse battery staple"},
		{"correct horse battery staple\r\n", "correct horse battery staple"},
		{"\ufeffcorrect horse battery staple\r\n", "correct horse battery staple"},
		{"\ufeffcorrect horse battery staple", "correct horse battery staple"},
		{" spaces count \n", " spaces count "},
		{"x\ufeff\n", "x\ufeff"},
	} {
		if got := string(passphraseLine([]byte(tt.file))); got != tt.want {
			t.Errorf("passphraseLine(%q) = %q, want %q", tt.file, got, tt.want)
		}
	}
}
