//go:build screenshots

// This file takes the screenshots in docs/screenshots in a real window. It
// replaces the tests' TestMain, so build it only for that:
//
//	Xvfb :99 -screen 0 1280x800x24 &
//	DISPLAY=:99 FIELDREG_SHOTS=$PWD/docs/screenshots go test -tags screenshots ./app/
//	Xvfb :98 -screen 0 800x1280x24 &
//	DISPLAY=:98 FIELDREG_SHOTS=$PWD/docs/screenshots FIELDREG_PORTRAIT=1 go test -tags screenshots ./app/
//
// FIELDREG_LANG=sr-Cyrl (or any officer language) takes them in that
// language; the files are then named name-sr-Cyrl.png.
package app

import (
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

func TestMain(m *testing.M) {
	out := shotsOut()
	portrait := os.Getenv("FIELDREG_PORTRAIT") != ""
	dir, err := os.MkdirTemp("", "fieldreg-shots")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	a := fyneapp.NewWithID(AppID)
	// FIELDREG_LANG takes the shots in another officer language (as
	// fieldreg --lang does); the file names then end in -TAG.
	u := newUI(a, dir, device.Options{Params: &vault.LowParams}, os.Getenv("FIELDREG_LANG"))
	if portrait {
		u.win.Resize(fyne.NewSize(800, 1280))
	}
	u.Show()
	go func() {
		s := &shooter{u: u, out: out, portrait: portrait, portraitOnly: portraitShots}
		shotsRun(s)
		os.RemoveAll(dir)
		os.Exit(0)
	}()
	a.Run()
}

// portraitShots are the screens also taken in portrait (800x1280).
var portraitShots = map[string]bool{"register": true, "register-lower": true, "records": true,
	"candidates": true, "receipt": true, "verify-valid": true, "notice-picker": true}

func (s *shooter) tap(prefix string) {
	s.ui(func() {
		b := s.find(func(o fyne.CanvasObject) bool {
			b, ok := o.(*widget.Button)
			return ok && strings.HasPrefix(b.Text, prefix)
		})
		if b == nil {
			panic("no button " + prefix)
		}
		b.(*widget.Button).OnTapped()
	})
}

func (s *shooter) set(placeholder, text string) {
	s.ui(func() {
		e := s.find(func(o fyne.CanvasObject) bool {
			e, ok := o.(*entry)
			return ok && e.PlaceHolder == placeholder
		})
		if e == nil {
			panic("no entry " + placeholder)
		}
		e.(*entry).SetText(text)
	})
}

func shotsRun(s *shooter) {
	u := s.u
	s.until("", func() bool { return u.screen == "setup" })
	s.ui(func() { s.u.win.Canvas().Focus(nil) })
	s.set(u.T("setup.country_placeholder"), "bos")
	s.set(u.T("setup.station_placeholder"), "BIH-VELIKA-KLADUSA")
	s.set(u.T("setup.device_placeholder"), "tablet-07")
	s.set(u.T("setup.officer_placeholder"), "Officer Example")
	s.set(u.T("pass.placeholder"), pass)
	s.set(u.T("pass.again_placeholder"), pass)
	s.shot("setup")
	s.tap("BIH – ")
	s.tap(u.T("setup.create"))
	s.until("", func() bool { return u.screen == "recovery" })
	s.shot("recovery")
	s.ui(func() {
		c := s.find(func(o fyne.CanvasObject) bool { _, ok := o.(*widget.Check); return ok })
		c.(*widget.Check).SetChecked(true)
	})
	s.tap(u.T("recovery.continue"))
	s.until("", func() bool { return u.screen == "unlock" })
	s.set(u.T("unlock.passphrase_placeholder"), pass)
	s.tap(u.T("unlock.unlock"))
	s.until("", func() bool { return u.screen == "shell" })

	// Sample data, straight through the session: a second officer and a
	// few obviously fictitious families for the records list, one person
	// registered two days ago (a candidate for the form below) and two
	// records of one person (for the supervisor's duplicate review).
	s.ui(func() {
		if _, err := u.sess.AddOfficer("Officer Testovic", []byte("another good passphrase 7"), false); err != nil {
			panic(err)
		}
		now := u.dev.Now()
		enc := registry.Encounter{Kind: "apprehension", Place: "BIH-VELIKA-KLADUSA", At: now.Add(-2 * time.Hour)}
		earlier := registry.Encounter{Kind: "apprehension", Place: "BIH-VELIKA-KLADUSA", At: now.Add(-50 * time.Hour)}
		families := [][]registry.Person{
			{{FamilyName: "Sample-Haddad", GivenNames: "Example Omar", Sex: "M", BirthDate: registry.Date{Year: 1984, Month: 2, Day: 29}, Nationalities: []string{"SYR"}, Encounter: earlier}},
			{{FamilyName: "Sample-Rahimi", GivenNames: "Example Ahmad", Sex: "M", BirthDate: registry.Date{Year: 1988}, Nationalities: []string{"AFG"}, Relationship: "head", Languages: []string{"prs"}},
				{FamilyName: "Sample-Rahimi", GivenNames: "Example Zahra", Sex: "F", BirthDate: registry.Date{Year: 1992, Month: 3}, Nationalities: []string{"AFG"}, Relationship: "spouse", Vulnerabilities: []string{"pregnancy"}},
				{FamilyName: "Sample-Rahimi", GivenNames: "Example Omid", Sex: "M", BirthDate: registry.Date{Year: 2016, Estimated: true}, Nationalities: []string{"AFG"}, Relationship: "child"}},
			{{FamilyName: "Testovic", GivenNames: "Example Youssef", Sex: "M", BirthDate: registry.Date{Year: 2008, Month: 7, Day: 14}, Nationalities: []string{"MAR"}, Vulnerabilities: []string{"unaccompanied_child"}}},
			{{FamilyName: "Placeholder", GivenNames: "Example Fatima", Sex: "F", BirthDate: registry.Date{Year: 1979}, Nationalities: []string{"XXA"}, Relationship: "head"},
				{FamilyName: "Placeholder", GivenNames: "Example Karim", Sex: "M", BirthDate: registry.Date{Year: 2012, Estimated: true}, Nationalities: []string{"XXA"}, Relationship: "child"}},
			{{FamilyName: "Example-Khan", GivenNames: "Sample Imran", Sex: "M", BirthDate: registry.Date{Year: 1995, Month: 1, Day: 2}, Nationalities: []string{"PAK"},
				Document: registry.Document{Type: "passport", Number: "XX0000001", IssuingCountry: "PAK", Expiry: "2023-05-01"}}},
			{{FamilyName: "Mock-Hussein", GivenNames: "Example Ali", Sex: "M", BirthDate: registry.Date{Year: 1991, Month: 6, Day: 3}, Nationalities: []string{"IRQ"}}},
			{{FamilyName: "Mock-Hossein", GivenNames: "Example Aly", Sex: "M", BirthDate: registry.Date{Year: 1991, Month: 6, Day: 3}, Nationalities: []string{"IRQ"}}},
		}
		for _, fam := range families {
			var ps []*registry.Person
			for i := range fam {
				p := fam[i]
				p.Category = registry.CategoryIrregular
				if p.Encounter.Place == "" {
					p.Encounter = enc
				}
				ps = append(ps, &p)
			}
			if _, err := u.sess.RegisterGroup(ps); err != nil {
				panic(err)
			}
		}
	})
	const stored = 10

	// An empty form refused: each field says what is missing, and the
	// summary stands above the buttons.
	s.tap(u.T("register.review"))
	s.until("", func() bool { return u.sh.reg.form.summary.Text() != "" })
	s.shot("register-errors")

	// Register: the first member is typed as a variant of an earlier
	// registration; the panel proposes it.
	s.ui(func() {
		f := u.sh.reg.form
		f.family.SetText("Sample Hadad")
		f.given.SetText("Example Omar")
		f.sex.SetSelected(u.T("sex.male"))
		f.setDobKind(dobFull)
		f.dob.SetText("1984-02-29")
		f.pob.SetText("Aleppo, Syria")
		f.nats.Set("SYR")
		f.origName.SetText("مثال تجريبي")
		f.origLang.Set("ara")
		f.category.SetSelected(s.u.T(categoryLabels[registry.CategoryProtection]))
		f.langs.Set("ara", "kur")
		f.interpreter.SetChecked(true)
		f.notice.SetChecked(true)
		f.noticeLang.Set("ara")
	})
	s.until("", func() bool { return u.sh.reg.panel.root.Visible() && len(u.sh.reg.panel.found) > 0 })
	s.shot("candidates")
	s.tap(u.T("candidates.open"))
	s.until("", func() bool { return s.label(u.T("candidates.same_question")) })
	s.shot("candidate-open")
	s.tap(u.T("candidates.same"))
	s.until("", func() bool { return len(u.sh.reg.formDecisions) > 0 })

	// The second member starts with what the family shares.
	s.tap(u.T("register.add_member"))
	s.ui(func() {
		f := u.sh.reg.form
		f.given.SetText("Example Lina")
		f.sex.SetSelected(u.T("sex.female"))
		f.setDobKind(dobEstimate)
		f.dob.SetText("7")
		f.vulns[1].SetChecked(true)
		f.notice.SetChecked(true)
		f.noticeLang.Set("ara")
	})
	s.shot("register")
	// The notice picker, lower in the form.
	s.ui(func() {
		c := s.find(func(o fyne.CanvasObject) bool { _, ok := o.(*columns); return ok }).(*columns)
		d := fyne.CurrentApp().Driver()
		y := d.AbsolutePositionForObject(u.sh.reg.form.noticeLang.Object()).Y - d.AbsolutePositionForObject(c.scroll).Y + c.scroll.Offset.Y
		c.scroll.ScrollToOffset(fyne.NewPos(0, y-300))
	})
	s.shot("register-notice")
	// The list of the notice's languages, each in the officer's
	// language and in its own.
	s.ui(func() { u.sh.reg.form.noticeLang.show() })
	s.shot("notice-picker")
	s.ui(func() { u.sh.reg.form.noticeLang.open.Hide() })
	s.ui(func() {
		c := s.find(func(o fyne.CanvasObject) bool { _, ok := o.(*columns); return ok }).(*columns)
		c.scroll.ScrollToTop()
	})
	if s.portrait {
		// The portrait check is the form; scroll to its lower half too.
		s.ui(func() {
			c := s.find(func(o fyne.CanvasObject) bool { _, ok := o.(*columns); return ok })
			c.(*columns).scroll.ScrollToOffset(fyne.NewPos(0, 1500))
		})
		s.shot("register-lower")
	}
	s.tap(u.T("register.review"))
	s.until("", func() bool { return s.labelIs(u.Tn("review.check_n", 2, nil)) })
	s.shot("review")
	s.tap(u.Tn("review.save_n", 2, nil))
	s.until("", func() bool { return u.sh.reg.receipts != nil && u.sh.reg.receipts.issued[0] != nil })
	s.shot("saved")
	var text string
	s.ui(func() { text = u.sh.reg.receipts.issued[0].Text })

	s.tap(u.T("nav.records"))
	s.until("", func() bool { return u.sh.records != nil && len(u.sh.records.ids) == stored+2 })
	s.until("", func() bool { return !s.label("…") }) // every row in view decrypted
	s.shot("records")
	s.ui(func() { u.sh.records.query.SetText("sample-rahimi") })
	s.until("", func() bool { return len(u.sh.records.ids) == 3 })
	s.ui(func() { u.sh.records.list.Select(1) })
	s.until("", func() bool {
		return s.find(func(o fyne.CanvasObject) bool {
			b, ok := o.(*widget.Button)
			return ok && b.Text == u.T("record.amend")
		}) != nil
	})
	s.tap(u.T("record.receipt"))
	s.until("", func() bool {
		return s.find(func(o fyne.CanvasObject) bool {
			b, ok := o.(*widget.Button)
			return ok && b.Text == u.T("receipt.save_png")
		}) != nil
	})
	s.shot("receipt")
	s.tap(u.T("record.back"))
	s.tap(u.T("record.amend"))
	s.ui(func() {
		f := s.find(func(o fyne.CanvasObject) bool {
			e, ok := o.(*entry)
			return ok && e.PlaceHolder == u.T("form.given_placeholder")
		})
		f.(*entry).SetText("Example Zahra Gul")
	})
	s.set(u.T("form.reason_placeholder"), "second given name confirmed by her husband")
	s.tap(u.T("amend.review"))
	s.tap(u.T("amend.save"))
	s.until("", func() bool { return s.label(u.Tf("record.version", map[string]any{"N": 2})) })
	s.shot("detail")
	// The supervisor's erasure screen (left without erasing).
	s.tap(u.T("record.erase"))
	s.set(u.T("erase.reason"), "data subject request")
	s.shot("erase")
	s.tap(u.T("common.cancel"))

	// Verify: a genuine receipt, then the same with one character changed.
	s.ui(func() { u.sh.open(navVerify) })
	s.ui(func() {
		v := u.sh.verify
		v.input.SetText(text)
		v.verifyText()
	})
	s.until("", func() bool { return u.sh.verify.last != nil })
	s.shot("verify-valid")
	s.ui(func() {
		v := u.sh.verify
		r := []rune(text)
		if r[40] == 'A' {
			r[40] = 'B'
		} else {
			r[40] = 'A'
		}
		v.input.SetText(string(r))
		v.verifyText()
	})
	s.until("", func() bool { return u.sh.verify.last != nil })
	s.shot("verify-invalid")

	s.tap(u.T("nav.duplicates"))
	s.until("", func() bool { return u.sh.dups != nil && !u.sh.dups.running })
	s.shot("duplicates")

	s.tap(u.T("nav.stats"))
	s.until("", func() bool { return s.shows(u.T("stats.children")) && !s.shows(u.T("stats.working")) })
	time.Sleep(500 * time.Millisecond)
	s.shot("statistics")

	s.tap(u.T("nav.settings"))
	s.tap(u.T("settings.verify_audit"))
	time.Sleep(300 * time.Millisecond)
	s.shot("settings")
	s.tap(u.T("nav.officers"))
	s.shot("officers")

	s.tap(u.T("shell.lock"))
	s.until("", func() bool { return u.screen == "unlock" })
	s.tap("Officer Example")
	s.set(u.T("unlock.passphrase_placeholder"), "wrong passphrase 1")
	s.tap(u.T("unlock.unlock"))
	s.until("", func() bool {
		return u.unlock != nil && strings.Contains(u.unlock.msg.Text(), u.T("unlock.wrong_passphrase"))
	})
	s.shot("unlock")
}
