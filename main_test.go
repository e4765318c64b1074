package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary runs main() itself when asked, so the real command line is
// what is tested.
func TestMain(m *testing.M) {
	if os.Getenv("FIELDREG_MAIN_EXEC") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A mistyped command or a stray word is named as such and exits 2; it
// never opens the window (there is no display here: opening it would fail
// differently).
func TestMistypedCommandNeverOpensTheWindow(t *testing.T) {
	for _, args := range [][]string{{"snyc"}, {"registr", "--data", t.TempDir()}, {"--data", t.TempDir(), "sync"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "FIELDREG_MAIN_EXEC=1", "DISPLAY=", "WAYLAND_DISPLAY=")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit 2", args, err)
		}
		if !strings.Contains(string(out), "unknown command") && !strings.Contains(string(out), "after the flags") {
			t.Errorf("%v: says %q", args, out)
		}
	}
}

// --version is answered by the command line, never by opening the window.
func TestVersionNeverOpensTheWindow(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--version")
	cmd.Env = append(os.Environ(), "FIELDREG_MAIN_EXEC=1", "DISPLAY=", "WAYLAND_DISPLAY=", "LANGUAGE=en")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "fieldreg devel (commit ") {
		t.Errorf("--version: %v, %q", err, out)
	}
}
