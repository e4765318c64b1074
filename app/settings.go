package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// auditShown is how many of the newest audit entries the settings show.
const auditShown = 500

// settingsScreen holds the supervisor's settings (auto-lock) and the audit
// log with its verification.
type settingsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	autoLock *widget.Select
	saved    message
	verify   *widget.Button
	result   message
	progress *widget.ProgressBarInfinite
	entries  []device.AuditEntry
	log      *widget.List
	// langSaved reports the saving of the device's default language.
	langSaved message
}

var autoLockChoices = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

func (u *UI) minutesLabel(d time.Duration) string {
	return u.Tn("settings.minutes", int(d/time.Minute), nil)
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{u: u}
	var opts []string
	for _, d := range autoLockChoices {
		opts = append(opts, u.minutesLabel(d))
	}
	s.saved = newMessage(widget.SuccessImportance)
	current := u.dev.AutoLock()
	s.autoLock = u.selectBox(opts, nil)
	if current%time.Minute == 0 {
		s.autoLock.SetSelected(u.minutesLabel(current))
	} else {
		s.autoLock.PlaceHolder = u.Tn("settings.seconds", int(current.Seconds()), nil)
	}
	s.autoLock.OnChanged = func(v string) {
		u.activity()
		for _, d := range autoLockChoices {
			if u.minutesLabel(d) == v {
				s.setAutoLock(d)
			}
		}
	}
	s.verify = u.primary(u.T("settings.verify_audit"), theme.ConfirmIcon(), s.verifyLog)
	s.result = newMessage(widget.SuccessImportance)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.log = widget.NewList(func() int { return len(s.entries) },
		func() fyne.CanvasObject {
			who, what := widget.NewLabel(""), widget.NewLabel("")
			who.TextStyle.Bold = true
			who.Truncation = fyne.TextTruncateEllipsis
			what.Truncation = fyne.TextTruncateEllipsis
			return container.New(layout.NewCustomPaddedVBoxLayout(0), who, what)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(s.entries) {
				who, what := u.auditLines(s.entries[i])
				c := o.(*fyne.Container)
				c.Objects[0].(*widget.Label).SetText(who)
				c.Objects[1].(*widget.Label).SetText(what)
			}
		})
	s.loadLog()

	lock := widget.NewCard(u.T("settings.autolock"), "",
		container.NewVBox(para(u.T("settings.autolock_help")), s.autoLock, s.saved.Object()))
	// The list has a fixed height inside the scrolling columns.
	logBox := container.NewStack(minHeight(420), s.log)
	verify := widget.NewCard(u.T("settings.audit"), "",
		container.NewVBox(para(u.T("settings.audit_help")),
			toolbar(s.verify), s.progress, s.result.Object(),
			widget.NewLabelWithStyle(u.Tf("settings.newest", i18n.Args{"Max": u.loc.Number(auditShown)}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			logBox))
	left := []fyne.CanvasObject{lock, s.languageCard()}
	left = append(left, newTrustSettings(u).cards()...)
	left = append(left, aboutCard(u))
	s.root = container.NewBorder(container.NewPadded(heading(u.T("nav.settings"))), nil, nil, nil,
		u.newColumns(left, []fyne.CanvasObject{verify}))
	return s
}

// languageCard holds the supervisor's own language, the device's default
// language (the unlock screen's, and that of officers who chose none), and
// which translations no native speaker has reviewed yet.
func (s *settingsScreen) languageCard() fyne.CanvasObject {
	u := s.u
	s.langSaved = newMessage(widget.SuccessImportance)
	own := u.languagePicker(u.sh.switchLanguage)
	def := u.selectBox(u.languageNames(), nil)
	if l, err := i18n.Lookup(u.dev.DefaultLanguage()); err == nil {
		def.SetSelected(u.languageName(l))
	}
	def.OnChanged = func(v string) {
		if tag := u.languageOf(v); tag != "" && tag != u.dev.DefaultLanguage() {
			s.setDefaultLanguage(tag)
		}
	}
	var unreviewed []string
	for _, l := range i18n.Languages() {
		if !l.Reviewed {
			unreviewed = append(unreviewed, l.Name)
		}
	}
	return widget.NewCard(u.T("settings.language"), "", container.NewVBox(
		labelled(u.T("settings.your_language"), fitted(own), message{}),
		labelled(u.T("settings.default_language"), def, message{}),
		para(u.T("settings.default_language_help")),
		s.langSaved.Object(),
		para(u.Tf("settings.unreviewed", i18n.Args{"Languages": strings.Join(unreviewed, ", ")})),
	))
}

// setDefaultLanguage stores tag as the device's default language.
func (s *settingsScreen) setDefaultLanguage(tag string) {
	sess := s.u.sess
	var err error
	s.u.background(func() { err = sess.SetDefaultLanguage(tag) }, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.langSaved.SetImportance(widget.DangerImportance)
			s.langSaved.Set(s.u.plainError(err))
			return
		}
		l, _ := i18n.Lookup(tag)
		s.langSaved.SetImportance(widget.SuccessImportance)
		s.langSaved.Set(s.u.Tf("settings.default_language_saved", i18n.Args{"Language": l.Name}))
		s.loadLog()
	})
}

// auditActionLabels are the message IDs of the audit log's actions (the
// details stay as device records them).
var auditActionLabels = map[string]string{
	"init": "audit.init", "unlock": "audit.unlock", "unlock_failed": "audit.unlock_failed",
	"officer_locked": "audit.officer_locked", "lock": "audit.lock", "register": "audit.register",
	"amend": "audit.amend", "link": "audit.link", "view": "audit.view", "receipt_issue": "audit.receipt_issue",
	"conflict_resolve": "audit.conflict_resolve", "audit_verify": "audit.audit_verify", "setting": "audit.setting",
	"sync": "audit.sync", "bundle_export": "audit.bundle_export", "bundle_import": "audit.bundle_import",
	"elsewhere": "audit.elsewhere", "trust_import": "audit.trust_import", "device_revoke": "audit.device_revoke",
	"officer_add": "audit.officer_add", "officer_remove": "audit.officer_remove", "officer_unlock": "audit.officer_unlock",
	"passphrase_reset": "audit.passphrase_reset", "recover_reset": "audit.recover_reset",
	"recover_new_officer": "audit.recover_new_officer",
}

// aboutCard names the release, for HQ and for reporting a problem: the
// version and commit stamped at build time, and the sync protocol a hub
// must speak.
func aboutCard(u *UI) *widget.Card {
	commit := version.Commit()
	if commit == "" {
		commit = "unknown"
	}
	return widget.NewCard(u.T("settings.about"), "", para(u.Tf("settings.about_text",
		i18n.Args{"Version": version.Version(), "Commit": commit, "Protocol": fmt.Sprint(wire.Version)})))
}

// auditLines shows an entry on two lines: number, time and officer; then
// what was done, to which record, with its detail.
func (u *UI) auditLines(e device.AuditEntry) (who, what string) {
	action := strings.ReplaceAll(e.Action, "_", " ") // an action newer than the app, in device's words
	if id, ok := auditActionLabels[e.Action]; ok {
		action = u.T(id)
	}
	parts := []string{action}
	if e.Record != "" {
		parts = append(parts, e.Record)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return fmt.Sprintf("#%d · %s · %s", e.Seq, when(e.At), e.Officer), strings.Join(parts, " · ")
}

func (s *settingsScreen) setAutoLock(d time.Duration) {
	sess := s.u.sess
	if sess == nil {
		return
	}
	var err error
	s.u.background(func() { err = sess.SetAutoLock(d) }, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.saved.SetImportance(widget.DangerImportance)
			s.saved.Set(s.u.plainError(err))
			return
		}
		s.u.idle.start(d)
		s.saved.SetImportance(widget.SuccessImportance)
		s.saved.Set(s.u.Tf("settings.autolock_saved", i18n.Args{"Duration": s.u.minutesLabel(d)}))
		s.loadLog()
	})
}

func (s *settingsScreen) loadLog() {
	sess := s.u.sess
	var entries []device.AuditEntry
	var err error
	s.u.background(func() { entries, err = sess.AuditLog(auditShown) }, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.result.SetImportance(widget.DangerImportance)
			s.result.Set(s.u.Tf("settings.audit_unreadable", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		s.entries = entries
		s.log.Refresh()
	})
}

func (s *settingsScreen) verifyLog() {
	sess := s.u.sess
	s.verify.Disable()
	s.progress.Show()
	s.result.Set("")
	var rep device.AuditReport
	var err error
	s.u.background(func() { rep, err = sess.VerifyAudit() }, func() {
		if s.u.sess != sess {
			return
		}
		s.verify.Enable()
		s.progress.Hide()
		switch {
		case err != nil:
			s.result.SetImportance(widget.DangerImportance)
			s.result.Set(s.u.Tf("settings.audit_unchecked", i18n.Args{"Error": s.u.plainError(err)}))
		case rep.OK:
			s.result.SetImportance(widget.SuccessImportance)
			s.result.Set(s.u.Tn("settings.audit_intact", rep.Entries, nil))
		default:
			// Damaged records are named with the audit log's findings, by
			// registration ID only.
			s.result.SetImportance(widget.DangerImportance)
			s.result.Set(s.u.Tn("settings.audit_tampered", rep.Entries, i18n.Args{"Findings": strings.Join(auditFindings(rep), "\n")}))
		}
		s.loadLog()
	})
}

// auditFindings lists what a failed audit check found: the audit log's
// problems, then each damaged record by registration ID with its problem.
func auditFindings(rep device.AuditReport) []string {
	out := append([]string(nil), rep.Problems...)
	for _, r := range rep.Records {
		out = append(out, r.Record+": "+r.Problem)
	}
	return out
}
