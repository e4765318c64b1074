package device

import (
	"errors"
	"testing"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

func TestLanguages(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	if got := d.DefaultLanguage(); got != i18n.Default {
		t.Fatalf("default language of a new device = %q", got)
	}
	if got := d.OfficerLanguage(s.Officer().ID); got != "" {
		t.Fatalf("language of an officer who chose none = %q", got)
	}
	// Bad input is refused and changes nothing.
	for _, bad := range []string{"", "xx", "sr", "en; DROP TABLE meta"} {
		if err := s.SetLanguage(bad); !errors.Is(err, i18n.ErrUnknownLanguage) {
			t.Errorf("SetLanguage(%q) = %v", bad, err)
		}
		if err := s.SetDefaultLanguage(bad); !errors.Is(err, i18n.ErrUnknownLanguage) {
			t.Errorf("SetDefaultLanguage(%q) = %v", bad, err)
		}
	}
	if d.DefaultLanguage() != i18n.Default || d.OfficerLanguage(s.Officer().ID) != "" {
		t.Fatal("a refused language was stored")
	}

	if err := s.SetLanguage("sr_cyrl"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefaultLanguage("de"); err != nil {
		t.Fatal(err)
	}
	if got := d.OfficerLanguage(s.Officer().ID); got != "sr-Cyrl" {
		t.Errorf("officer language = %q, want sr-Cyrl", got)
	}
	if got := d.DefaultLanguage(); got != "de" {
		t.Errorf("default language = %q, want de", got)
	}

	// Each officer has their own; only a supervisor sets the default.
	o, err := s.AddOfficer("Officer Lingua", []byte("another good phrase"), false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := d.Unlock(o.ID, []byte("another good phrase"))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.OfficerLanguage(o.ID); got != "" {
		t.Errorf("second officer inherits %q", got)
	}
	if err := s2.SetLanguage("el"); err != nil {
		t.Fatal(err)
	}
	if d.OfficerLanguage(o.ID) != "el" || d.OfficerLanguage(s.Officer().ID) != "sr-Cyrl" {
		t.Error("officers' languages mixed up")
	}
	if err := s2.SetDefaultLanguage("el"); !errors.Is(err, ErrNotSupervisor) {
		t.Errorf("non-supervisor set the default: %v", err)
	}
	s2.Lock()
	if err := s2.SetLanguage("de"); !errors.Is(err, ErrSessionLocked) {
		t.Errorf("locked session set a language: %v", err)
	}
}
