package app

import (
	"encoding/json"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

// Fyne's own words (the buttons of its confirm and information dialogs, its
// file dialogs, an entry's Cut/Copy/Paste menu) come from its lang package,
// which picks a language once from the system locale and has no call to
// switch it (Fyne v2.7.1). What it does have is AddTranslationsForLocale,
// whose messages replace those of the same locale, and Fyne looks its
// words up at each use. So on every switch the app gives Fyne the officer's
// words for Fyne's messages under the locale Fyne is using: the system's
// (and English, where Fyne falls back when it knows no better match).
// German and Greek words are Fyne's own translations, copied into the
// catalogue (TestFyneWordsAreFynes checks the copies); the other officer
// languages, which Fyne does not ship, have ours. The English fallback is
// also what Fyne shows with an unset or C locale.

// fyneWords are the catalogue IDs of Fyne's messages, by Fyne's ID.
var fyneWords = map[string]string{
	"Advanced": "fyne.advanced", "Cancel": "fyne.cancel", "Confirm": "fyne.confirm", "Copy": "fyne.copy",
	"Create Folder": "fyne.create_folder", "Cut": "fyne.cut", "Enter filename": "fyne.enter_filename",
	"Error": "fyne.error", "Favourites": "fyne.favourites", "File": "fyne.file", "Folder": "fyne.folder",
	"New Folder": "fyne.new_folder", "No": "fyne.no", "OK": "fyne.ok", "Open": "fyne.open", "Paste": "fyne.paste",
	"Quit": "fyne.quit", "Redo": "fyne.redo", "Save": "fyne.save", "Select all": "fyne.select_all",
	"Show Hidden Files": "fyne.show_hidden_files", "Undo": "fyne.undo", "Yes": "fyne.yes",
	"file.name": "fyne.file_name", "file.parent": "fyne.file_parent",
	"monday": "fyne.monday", "monday.short": "fyne.monday_short", "tuesday": "fyne.tuesday",
	"tuesday.short": "fyne.tuesday_short", "wednesday": "fyne.wednesday", "wednesday.short": "fyne.wednesday_short",
	"thursday": "fyne.thursday", "thursday.short": "fyne.thursday_short", "friday": "fyne.friday",
	"friday.short": "fyne.friday_short", "saturday": "fyne.saturday", "saturday.short": "fyne.saturday_short",
	"sunday": "fyne.sunday", "sunday.short": "fyne.sunday_short",
}

// fyneMessages are Fyne's messages in l's language, as a go-i18n message
// file.
func fyneMessages(l *i18n.Localizer) []byte {
	m := make(map[string]string, len(fyneWords))
	for id, key := range fyneWords {
		m[id] = l.T(key)
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return b
}

// useFyneLanguage makes Fyne's own words follow l, from now on (dialogs
// already open keep theirs). Call it on the UI goroutine: Fyne's lang
// package has no lock.
func useFyneLanguage(l *i18n.Localizer) {
	msgs := fyneMessages(l)
	locales := []fyne.Locale{"en"}
	if sys := lang.SystemLocale(); sys != "" && sys != "en" {
		locales = append(locales, sys)
	}
	for _, loc := range locales {
		if err := lang.AddTranslationsForLocale(msgs, loc); err != nil {
			fyne.LogError("Fyne's words not in the officer's language for "+loc.String(), err)
		}
	}
}
