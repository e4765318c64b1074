// Package version says which release of fieldreg a binary is: the version
// from FyneApp.toml and the commit it was built from. `make build` and
// `make package` stamp both with -ldflags -X (see the Makefile's LDFLAGS);
// a plain `go build` says "devel", and names its commit only when the Go
// toolchain recorded one (-buildvcs).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped at build time:
//
//	-X github.com/fieldreg/fieldreg/internal/version.version=0.1.0
//	-X github.com/fieldreg/fieldreg/internal/version.commit=136a314c0d2e
var (
	version = ""
	commit  = ""
)

// Devel is the version of a binary that was not stamped.
const Devel = "devel"

// Version returns the release version from FyneApp.toml ("0.1.0"), or
// Devel when the binary was not stamped.
func Version() string {
	if version == "" {
		return Devel
	}
	return version
}

// Commit returns the git commit the binary was built from (with "-dirty"
// when the work tree had uncommitted changes), or "" when unknown.
func Commit() string {
	if commit != "" {
		return commit
	}
	return vcsRevision(debug.ReadBuildInfo())
}

// vcsRevision reads the commit the go command recorded, if it did.
func vcsRevision(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// String is the one line `--version` prints after the program's name:
// version, commit, the sync protocol, Go and the platform, for example
// "0.1.0 (commit 136a314c0d2e, sync protocol 1, go1.26.8 windows/amd64)".
func String(protocol int) string {
	c := Commit()
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, sync protocol %d, %s %s/%s)", Version(), c, protocol, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
