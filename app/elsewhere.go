package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/sync/client"
)

// elsewhereTimeout bounds one question asked from a screen: a slow link
// must not keep the officer waiting; the question then waits for the next
// sync.
const elsewhereTimeout = 20 * time.Second

// elsewhereView shows, for one record, the answer to "was this person
// registered elsewhere?" (in another country of the region), as the hub
// relays it from the regional joint database. It asks when told to (after
// a registration is saved, or from the record), shows a question that
// waits for the hub, and shows the answer once a sync has brought it.
// Only enrolled devices have a hub to ask.
type elsewhereView struct {
	u    *UI
	sess *device.Session
	id   string
	text *widget.Label
	busy *widget.ProgressBarInfinite
	ask  *widget.Button
	root *fyne.Container
	gen  int // bumps with each load or question: late results are dropped
	// onShown, if set, is told whether the answer shown holds hits.
	onShown func(hit bool)
}

func newElsewhereView(u *UI, id string) *elsewhereView {
	v := &elsewhereView{u: u, sess: u.sess, id: id}
	v.text = widget.NewLabel("")
	v.text.Wrapping = fyne.TextWrapWord
	v.busy = widget.NewProgressBarInfinite()
	v.busy.Hide()
	v.ask = u.button(u.T("elsewhere.ask_now"), theme.SearchIcon(), func() { v.Ask() })
	v.ask.Hide()
	v.root = container.NewVBox(v.text, v.busy, container.NewHBox(v.ask))
	return v
}

// watchElsewhere makes views the ones a sync that brings answers reloads
// (those of the screen on show).
func (u *UI) watchElsewhere(views ...*elsewhereView) { u.elsewhere = views }

// reloadElsewhere shows answers a sync brought.
func (u *UI) reloadElsewhere() {
	for _, v := range u.elsewhere {
		if v.sess == u.sess {
			v.Load()
		}
	}
}

// Object is the view's widget tree.
func (v *elsewhereView) Object() fyne.CanvasObject { return v.root }

// Ask puts the question and asks the hub now; if the hub cannot be
// reached, the question waits for the next sync.
func (v *elsewhereView) Ask() {
	v.u.activity()
	v.gen++
	gen, sess, id := v.gen, v.sess, v.id
	v.text.SetText(v.u.T("elsewhere.asking"))
	v.text.Importance = widget.MediumImportance
	v.text.Refresh()
	v.busy.Show()
	v.busy.Start()
	v.ask.Hide()
	opts := v.u.bgSync().base
	var askErr error
	var a device.ElsewhereAnswer
	var ok bool
	var err error
	v.u.background(func() {
		ctx, cancel := context.WithTimeout(context.Background(), elsewhereTimeout)
		defer cancel()
		_, askErr = sess.Elsewhere(ctx, id, opts)
		a, ok, err = sess.ElsewhereAnswerOf(id)
	}, func() {
		if gen != v.gen || v.u.sess != sess {
			return
		}
		if askErr != nil && !client.Retryable(askErr) && err == nil {
			err = askErr
		}
		if askErr != nil {
			fyne.LogError("asking the regional joint database failed", nil)
		}
		v.show(a, ok, err)
	})
}

// Load shows what the device holds for the record, without asking.
func (v *elsewhereView) Load() {
	v.gen++
	gen, sess, id := v.gen, v.sess, v.id
	var a device.ElsewhereAnswer
	var ok bool
	var err error
	v.u.background(func() { a, ok, err = sess.ElsewhereAnswerOf(id) }, func() {
		if gen != v.gen || v.u.sess != sess {
			return
		}
		v.show(a, ok, err)
	})
}

func (v *elsewhereView) show(a device.ElsewhereAnswer, ok bool, err error) {
	v.busy.Stop()
	v.busy.Hide()
	text, imp := v.u.elsewhereText(a, ok, err)
	if v.onShown != nil {
		v.onShown(err == nil && a.Reply != nil && len(a.Reply.Hits) > 0)
	}
	v.text.SetText(text)
	v.text.Importance = imp
	v.text.Refresh()
	switch {
	case !ok && err == nil:
		v.ask.SetText(v.u.T("elsewhere.ask_now"))
	case a.Waiting && a.Reply == nil:
		v.ask.SetText(v.u.T("elsewhere.try_now"))
	default:
		v.ask.SetText(v.u.T("elsewhere.ask_again"))
	}
	v.ask.Show()
}

// elsewhereText says in plain words what the device knows of the question.
func (u *UI) elsewhereText(a device.ElsewhereAnswer, ok bool, err error) (string, widget.Importance) {
	switch {
	case err != nil && errors.Is(err, device.ErrNoHub):
		return u.T("elsewhere.no_hub"), widget.MediumImportance
	case err != nil:
		return u.Tf("elsewhere.failed", i18n.Args{"Error": u.syncErrorText(err)}), widget.WarningImportance
	case !ok:
		return u.T("elsewhere.not_asked"), widget.MediumImportance
	}
	var b strings.Builder
	imp := widget.SuccessImportance
	if a.Reply == nil {
		if a.Error != "" {
			return u.Tf("elsewhere.waits_error", i18n.Args{"Error": a.Error}), widget.MediumImportance
		}
		return u.T("elsewhere.waits"), widget.MediumImportance
	}
	rep := a.Reply
	answered := i18n.Args{"Region": rep.Region, "When": when(a.Answered)}
	if len(rep.Hits) == 0 {
		b.WriteString(u.Tf("elsewhere.no_hit", answered))
	} else {
		imp = widget.WarningImportance
		b.WriteString(u.Tf("elsewhere.hit", answered))
		if rep.More {
			b.WriteString("\n" + u.Tn("elsewhere.more", len(rep.Hits), nil))
		}
		for _, h := range rep.Hits {
			b.WriteString("\n• " + u.Tf("elsewhere.hit_line", i18n.Args{
				"Country": h.Country, "Ref": h.Ref, "Date": h.Date, "Place": h.Place, "Category": lowerFirst(u.label(h.Category, categoryLabels))}))
			if h.Evidence != "" {
				fmt.Fprintf(&b, " (%s)", h.Evidence)
			}
			if h.Details != nil {
				b.WriteString("\n   " + u.Tf("elsewhere.as_registered", i18n.Args{"Details": h.Details.Describe()}))
			}
		}
	}
	if a.Waiting {
		b.WriteString("\n" + u.T("elsewhere.asked_again"))
	}
	return b.String(), imp
}
