// Package syslocale keeps Fyne from complaining about the system's locale.
//
// Fyne reads the locale from the environment (through
// github.com/jeandeaual/go-locale) while its lang package initialises, and
// logs "Error parsing user locale" for values such as C.UTF-8 or
// sr_RS@latin, which are valid locales but not language tags. fieldreg
// words its window with its own catalogues (internal/i18n), so the system
// locale only matters to Fyne's few words of its own; it must never
// produce an error on the terminal of the app or the command line.
//
// Importing this package (blank, from package main) tidies the environment
// in its init function, before Fyne's: it imports nothing but the standard
// library packages that Fyne's lang package itself waits for, and its
// import path sorts before those of go-locale and go-i18n, so Go's
// initialisation order (by import path among ready packages) runs it first.
// A test of the fieldreg binary checks that it stays so.
package syslocale

import (
	"os"
	"strings"
)

func init() { Tidy(os.Getenv, os.Setenv) }

// Tidy makes the locale environment one that go-locale turns into
// well-formed language tags: when the list it would read (LANGUAGE, or the
// first of LC_ALL, LC_MESSAGES and LANG) holds a value that is not, LANGUAGE
// is set to the values that are, or to "en". C, POSIX and an unset locale
// are left alone: go-locale reads them as "no preference", silently.
func Tidy(getenv func(string) string, setenv func(string, string) error) {
	locale := ""
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(env); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return
	}
	list := locale
	if l := getenv("LANGUAGE"); l != "" {
		list = l
	}
	if list == "" {
		return
	}
	var good []string
	bad := false
	for _, v := range strings.Split(list, ":") {
		if WellFormed(v) {
			good = append(good, v)
		} else {
			bad = true
		}
	}
	if !bad {
		return
	}
	if len(good) == 0 {
		good = []string{"en"}
	}
	_ = setenv("LANGUAGE", strings.Join(good, ":"))
}

// WellFormed reports whether go-locale turns the locale value v into a
// well-formed language tag: a language of two or three letters, and
// optionally a territory of two letters or three digits (language_TERRITORY,
// with any .encoding dropped). C.UTF-8 and sr_RS@latin are not.
func WellFormed(v string) bool {
	v, _, _ = strings.Cut(v, ".")
	v = strings.ReplaceAll(v, "-", "_")
	lang, territory, _ := strings.Cut(v, "_")
	if !letters(lang) || len(lang) < 2 || len(lang) > 3 {
		return false
	}
	switch {
	case territory == "":
		return true
	case len(territory) == 2:
		return letters(territory)
	case len(territory) == 3:
		return digits(territory)
	}
	return false
}

func letters(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return s != ""
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
