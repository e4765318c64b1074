package main

import (
	"bytes"
	"regexp"
	"testing"
)

// An unstamped build says "devel" and names the sync protocol; extra words
// are a usage error.
func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--version"}, &out, &errb); code != 0 {
		t.Fatalf("--version: exit %d, stderr %q", code, errb.String())
	}
	if !regexp.MustCompile(`^reghub devel \(commit [^,]+, sync protocol [0-9]+, go1\.[0-9.]+ [a-z0-9]+/[a-z0-9]+\)\n$`).MatchString(out.String()) {
		t.Errorf("--version printed %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"version", "now"}, &out, &errb); code != 2 || out.Len() != 0 {
		t.Errorf("version now: exit %d, stdout %q", code, out.String())
	}
}
