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

// The command line never prints an error about the system's locale: not
// for C, an unset locale, C.UTF-8 (which Fyne's locale reader cannot
// parse) or a locale with a modifier.
func TestLocaleIsSilent(t *testing.T) {
	for _, env := range [][]string{{"LANG=C"}, {"LANG="}, {"LANG=C.UTF-8"}, {"LC_ALL=C.UTF-8"}, {"LANG=sr_RS@latin"},
		{"LANG=de_DE.UTF-8", "LANGUAGE=sr@latin:de"}, {"LANG=el_GR.UTF-8"}} {
		cmd := exec.Command(os.Args[0], "help")
		cmd.Env = append(withoutLocale(os.Environ()), "FIELDREG_MAIN_EXEC=1")
		cmd.Env = append(cmd.Env, env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%v: help: %v", env, err)
		}
		if s := stderr.String(); strings.Contains(strings.ToLower(s), "locale") {
			t.Errorf("%v: stderr %q", env, s)
		}
	}
}

// withoutLocale is env without the locale variables.
func withoutLocale(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// An unknown --lang is refused before any window opens (exit 2), naming the
// languages there are.
func TestUnknownLanguageRefused(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--data", t.TempDir(), "--lang", "xx")
	cmd.Env = append(os.Environ(), "FIELDREG_MAIN_EXEC=1", "DISPLAY=", "WAYLAND_DISPLAY=")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("--lang xx: %v, want exit 2 (%s)", err, out)
	}
	if !strings.Contains(string(out), "unknown language") || !strings.Contains(string(out), "sr-Cyrl") {
		t.Errorf("--lang xx says %q", out)
	}
}
