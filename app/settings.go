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
}

var autoLockChoices = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

func minutesLabel(d time.Duration) string {
	m := int(d / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{u: u}
	var opts []string
	for _, d := range autoLockChoices {
		opts = append(opts, minutesLabel(d))
	}
	s.saved = newMessage(widget.SuccessImportance)
	current := u.dev.AutoLock()
	s.autoLock = u.selectBox(opts, nil)
	if current%time.Minute == 0 {
		s.autoLock.SetSelected(minutesLabel(current))
	} else {
		s.autoLock.PlaceHolder = fmt.Sprintf("%d seconds", int(current.Seconds()))
	}
	s.autoLock.OnChanged = func(v string) {
		u.activity()
		for _, d := range autoLockChoices {
			if minutesLabel(d) == v {
				s.setAutoLock(d)
			}
		}
	}
	s.verify = u.primary("Verify audit log", theme.ConfirmIcon(), s.verifyLog)
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
				who, what := auditLines(s.entries[i])
				c := o.(*fyne.Container)
				c.Objects[0].(*widget.Label).SetText(who)
				c.Objects[1].(*widget.Label).SetText(what)
			}
		})
	s.loadLog()

	lock := widget.NewCard("Auto-lock", "",
		container.NewVBox(para("Lock the device after this long without use."), s.autoLock, s.saved.Object()))
	// The list has a fixed height inside the scrolling columns.
	logBox := container.NewStack(minHeight(420), s.log)
	verify := widget.NewCard("Audit log", "",
		container.NewVBox(para("Every unlock, registration, change, receipt and record view is logged in a tamper-evident chain."),
			toolbar(s.verify), s.progress, s.result.Object(),
			widget.NewLabelWithStyle(fmt.Sprintf("Newest entries (up to %d)", auditShown), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			logBox))
	left := []fyne.CanvasObject{lock}
	left = append(left, newTrustSettings(u).cards()...)
	left = append(left, aboutCard())
	s.root = container.NewBorder(container.NewPadded(heading("Settings")), nil, nil, nil,
		u.newColumns(left, []fyne.CanvasObject{verify}))
	return s
}

// aboutCard names the release, for HQ and for reporting a problem: the
// version and commit stamped at build time, and the sync protocol a hub
// must speak.
func aboutCard() *widget.Card {
	commit := version.Commit()
	if commit == "" {
		commit = "unknown"
	}
	return widget.NewCard("About this app", "", para(fmt.Sprintf("fieldreg %s, commit %s, sync protocol %d.",
		version.Version(), commit, wire.Version)))
}

// auditLines shows an entry on two lines: number, time and officer; then
// what was done, to which record, with its detail.
func auditLines(e device.AuditEntry) (who, what string) {
	parts := []string{strings.ReplaceAll(e.Action, "_", " ")}
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
			s.saved.Set(plainError(err))
			return
		}
		s.u.idle.start(d)
		s.saved.SetImportance(widget.SuccessImportance)
		s.saved.Set("Saved: the device locks after " + minutesLabel(d) + " without use.")
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
			s.result.Set("The audit log cannot be read. " + plainError(err))
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
			s.result.Set("The audit log could not be checked. " + plainError(err))
		case rep.OK:
			s.result.SetImportance(widget.SuccessImportance)
			s.result.Set(fmt.Sprintf("The audit log is intact: %d entries, none changed, removed or reordered.", rep.Entries))
		default:
			s.result.SetImportance(widget.DangerImportance)
			s.result.Set(fmt.Sprintf("The audit log has been tampered with (%d entries checked). Tell your supervisor or HQ. Findings:\n%s",
				rep.Entries, strings.Join(rep.Problems, "\n")))
		}
		s.loadLog()
	})
}
