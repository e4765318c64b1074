package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestUnstampedSaysDevel(t *testing.T) {
	if version != "" {
		t.Skip("this test binary was stamped with -ldflags -X")
	}
	if Version() != Devel {
		t.Errorf("Version() = %q, want %q", Version(), Devel)
	}
	if s := String(7); !strings.HasPrefix(s, "devel (commit ") || !strings.Contains(s, "sync protocol 7") {
		t.Errorf("String(7) = %q", s)
	}
}

func TestStamped(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "0.1.0", "136a314c0d2e-dirty"
	if got := String(1); !strings.HasPrefix(got, "0.1.0 (commit 136a314c0d2e-dirty, sync protocol 1, go") {
		t.Errorf("String(1) = %q", got)
	}
}

func TestVCSRevision(t *testing.T) {
	bi := func(kv ...string) *debug.BuildInfo {
		b := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			b.Settings = append(b.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return b
	}
	tests := []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{nil, false, ""},
		{bi(), true, ""},
		{bi("vcs.revision", "136a314c0d2e9f8a7b6c5d4e3f2a1b0c9d8e7f6a", "vcs.modified", "false"), true, "136a314c0d2e"},
		{bi("vcs.revision", "136a314c0d2e9f8a7b6c5d4e3f2a1b0c9d8e7f6a", "vcs.modified", "true"), true, "136a314c0d2e-dirty"},
		{bi("vcs.modified", "true"), true, ""},
	}
	for _, tt := range tests {
		if got := vcsRevision(tt.bi, tt.ok); got != tt.want {
			t.Errorf("vcsRevision(%v) = %q, want %q", tt.bi, got, tt.want)
		}
	}
}
