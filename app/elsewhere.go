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
	v.ask = u.button("Ask now", theme.SearchIcon(), func() { v.Ask() })
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
	v.text.SetText("Registered elsewhere? Asking the regional joint database through the hub…")
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
	text, imp := elsewhereText(a, ok, err)
	if v.onShown != nil {
		v.onShown(err == nil && a.Reply != nil && len(a.Reply.Hits) > 0)
	}
	v.text.SetText(text)
	v.text.Importance = imp
	v.text.Refresh()
	switch {
	case !ok && err == nil:
		v.ask.SetText("Ask now")
	case a.Waiting && a.Reply == nil:
		v.ask.SetText("Try now")
	default:
		v.ask.SetText("Ask again")
	}
	v.ask.Show()
}

// elsewhereText says in plain words what the device knows of the question.
func elsewhereText(a device.ElsewhereAnswer, ok bool, err error) (string, widget.Importance) {
	switch {
	case err != nil && errors.Is(err, device.ErrNoHub):
		return "Registered elsewhere? This device has no hub, so it cannot ask the regional joint database.", widget.MediumImportance
	case err != nil:
		return "Registered elsewhere? The question could not be asked: " + syncErrorText(err), widget.WarningImportance
	case !ok:
		return "Registered elsewhere? Not asked yet on this device.", widget.MediumImportance
	}
	var b strings.Builder
	imp := widget.SuccessImportance
	if a.Reply == nil {
		b.WriteString("Registered elsewhere? The question waits: ")
		if a.Error != "" {
			b.WriteString(a.Error + ". ")
		}
		b.WriteString("It is asked at the next sync, and the answer will appear on this record.")
		return b.String(), widget.MediumImportance
	}
	rep := a.Reply
	if len(rep.Hits) == 0 {
		fmt.Fprintf(&b, "No hit: not registered in another country of region %s (answered %s).", rep.Region, when(a.Answered))
	} else {
		imp = widget.WarningImportance
		fmt.Fprintf(&b, "HIT: registered before in another country of region %s (answered %s). Ask the owning country for the details:", rep.Region, when(a.Answered))
		if rep.More {
			fmt.Fprintf(&b, "\nThe region found more than %d; the %d with the strongest evidence are shown.", len(rep.Hits), len(rep.Hits))
		}
		for _, h := range rep.Hits {
			fmt.Fprintf(&b, "\n• %s, reference %s, registered %s at %s, %s", h.Country, h.Ref, h.Date, h.Place, strings.ToLower(label(h.Category, categoryLabels)))
			if h.Evidence != "" {
				fmt.Fprintf(&b, " (%s)", h.Evidence)
			}
			if h.Details != nil {
				fmt.Fprintf(&b, "\n   As registered there: %s", h.Details.Describe())
			}
		}
	}
	if a.Waiting {
		b.WriteString("\nAsked again: the new answer comes with the next sync.")
	}
	return b.String(), imp
}
