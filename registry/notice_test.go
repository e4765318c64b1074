package registry

import (
	"errors"
	"testing"
	"time"
)

// The notice's language and version are recorded together, only when the
// notice was given, and in form.
func TestValidateNotice(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name          string
		given         bool
		lang, version string
		bad           string
	}{
		{"none", false, "", "", ""},
		{"given, language unknown (older records)", true, "", "", ""},
		{"given in Arabic", true, "ara", "1.57417293", ""},
		{"language without given", false, "ara", "1.57417293", "notice_lang"},
		{"not a code", true, "arabic", "1", "notice_lang"},
		{"language without version", true, "ara", "", "notice_version"},
		{"version without language", true, "", "1.0", "notice_version"},
		{"version with spaces", true, "ara", "1 0", "notice_version"},
	} {
		p := validPerson()
		p.InformationNotice, p.NoticeLang, p.NoticeVersion = c.given, c.lang, c.version
		err := Validate(p, now)
		var fe FieldErrors
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.bad != "" && (!errors.As(err, &fe) || fe[c.bad] == ""):
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.bad)
		}
	}
}
