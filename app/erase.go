package app

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// retentionCard says when the record is erased at the latest and, for a
// supervisor, offers to erase it now or bring the date forward.
func (d *detailScreen) retentionCard() fyne.CanvasObject {
	u, rv := d.u, d.view
	var box []fyne.CanvasObject
	if due, err := u.sess.Device().ErasureDue(rv.Record); err == nil {
		box = append(box, para(u.Tf("record.erasure_due", i18n.Args{"Date": due.Format(time.DateOnly)})))
	}
	if u.sess.Officer().Supervisor {
		erase := u.button(u.T("record.erase"), theme.DeleteIcon(), d.erase)
		erase.Importance = widget.DangerImportance
		box = append(box, toolbar(erase))
	}
	return widget.NewCard(u.T("record.retention"), "", container.NewVBox(box...))
}

// erase opens the supervisor's erasure screen: a reason, then either
// erase now (after a confirmation) or an earlier erasure date.
func (d *detailScreen) erase() {
	u, rv := d.u, d.view
	reason := u.newEntry(u.T("erase.reason"))
	date := u.newEntry(u.T("erase.date"))
	status := newMessage(widget.DangerImportance)
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	var now, setDate, cancel *widget.Button
	busy := func(on bool) {
		for _, b := range []*widget.Button{now, setDate, cancel} {
			if on {
				b.Disable()
			} else {
				b.Enable()
			}
		}
		if on {
			progress.Show()
		} else {
			progress.Hide()
		}
	}
	run := func(work func(*device.Session) error, done string) {
		sess := u.sess
		if sess == nil {
			return
		}
		busy(true)
		var err error
		u.background(func() { err = work(sess) }, func() {
			if u.sess != sess {
				return
			}
			busy(false)
			if err != nil {
				if !errors.Is(err, device.ErrEraseLater) {
					fyne.LogError("erasing a record failed", nil)
				}
				status.Set(u.Tf("common.nothing_saved_error", i18n.Args{"Error": u.plainError(err)}))
				return
			}
			next := newDetailScreen(u, rv.ID, d.back)
			next.backLabel = d.backLabel
			u.sh.show(navRecords, next.root)
			u.inform(u.T("record.retention"), done)
		})
	}
	id := rv.ID
	now = u.primary(u.T("erase.now"), theme.DeleteIcon(), func() {
		r := strings.TrimSpace(reason.Text)
		if r == "" {
			status.Set(u.T("erase.reason_required"))
			return
		}
		u.confirm(u.T("erase.confirm_title"), u.T("erase.confirm_body"), func(ok bool) {
			if ok {
				run(func(s *device.Session) error { return s.Erase(id, r) }, u.Tf("erase.done", i18n.Args{"ID": id}))
			}
		})
	})
	now.Importance = widget.DangerImportance
	setDate = u.button(u.T("erase.set_date"), theme.HistoryIcon(), func() {
		r := strings.TrimSpace(reason.Text)
		if r == "" {
			status.Set(u.T("erase.reason_required"))
			return
		}
		day, err := time.Parse(time.DateOnly, strings.TrimSpace(date.Text))
		if err != nil {
			status.Set(u.T("erase.date_invalid"))
			return
		}
		run(func(s *device.Session) error { return s.SetErasureDate(id, day, r) },
			u.Tf("erase.date_set", i18n.Args{"ID": id, "Date": day.Format(time.DateOnly)}))
	})
	cancel = u.button(u.T("common.cancel"), theme.CancelIcon(), func() { u.sh.show(navRecords, d.root) })
	body := container.NewVBox(
		para(u.T("erase.help")),
		widget.NewLabel(u.T("erase.reason")), reason,
		widget.NewLabel(u.T("erase.date")), date,
		status.Object(), progress,
		toolbar(now, setDate, cancel))
	header := container.NewVBox(heading(u.Tf("erase.title", i18n.Args{"Name": rv.Person.FullName()})), mono(rv.ID, 24))
	u.sh.show(navRecords, container.NewBorder(container.NewPadded(header), nil, nil, nil, u.scroll(centred(900, body))))
	u.focus(reason)
}

// erasedText says a record was erased, when and why, in the officer's
// language; "" if err is not an erasure.
func (u *UI) erasedText(err error) string {
	var ee *device.ErasedError
	if !errors.As(err, &ee) {
		return ""
	}
	return u.Tf("record.erased", i18n.Args{"Date": ee.At.Format(time.DateOnly), "Reason": ee.Reason})
}
