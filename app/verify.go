package app

import (
	"errors"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/receipt"
)

// sizeNameVerdict is the size of the VALID / NOT VALID verdict.
const sizeNameVerdict fyne.ThemeSizeName = "fieldreg-verdict"

// Verdict colours: white text on them reads well in sunlight.
var (
	validGreen   = color.NRGBA{R: 0x1b, G: 0x7a, B: 0x3a, A: 0xff}
	invalidRed   = color.NRGBA{R: 0xb0, G: 0x1c, B: 0x1c, A: 0xff}
	verdictWhite = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// verifyScreen checks a receipt: a handheld 2D scanner in keyboard mode
// types the code into the field and presses Enter; the code can also be
// pasted, or read from a photo or a saved PNG. The verdict is big and
// coloured; if the record is on this device a button opens it. After each
// check the field is empty and focused again for the next scan.
type verifyScreen struct {
	u       *UI
	root    fyne.CanvasObject
	input   *scanEntry
	check   *widget.Button
	image   *widget.Button
	status  message
	verdict *fyne.Container
	// scroller is the page: each verdict starts from its top, with the
	// heading and the field in view.
	scroller *container.Scroll
	busy     bool
	// last is the verdict shown, for tests.
	last *receipt.Verdict
}

func newVerifyScreen(u *UI) *verifyScreen {
	v := &verifyScreen{u: u}
	v.input = newScanEntry(u, u.T("verify.placeholder"))
	v.input.OnSubmitted = func(string) { v.verifyText() }
	v.check = u.primary(u.T("verify.check"), theme.ConfirmIcon(), v.verifyText)
	v.image = u.button(u.T("verify.open_image"), theme.FileImageIcon(), v.openImage)
	clear := u.button(u.T("verify.clear"), theme.ContentClearIcon(), v.clear)
	v.status = newMessage(widget.DangerImportance)
	v.verdict = container.NewVBox()
	top := container.NewVBox(
		heading(u.T("verify.title")),
		para(u.T("verify.help")),
		v.input, toolbar(v.check, v.image, clear), v.status.Object(),
	)
	v.scroller = u.scroll(centred(1000, container.NewPadded(container.NewVBox(top, v.verdict))))
	v.root = v.scroller
	return v
}

// verifyText verifies what was typed or pasted. Spaces belong to the code
// (Base45 uses them), so nothing is trimmed here; line breaks and tabs a
// scanner adds are ignored by the verifier.
func (v *verifyScreen) verifyText() {
	text := v.input.Text
	if strings.TrimSpace(text) == "" {
		v.status.Set(v.u.T("verify.empty"))
		v.u.focus(v.input)
		return
	}
	v.input.SetText("")
	v.run(func() (string, error) { return text, nil })
}

// openImage reads a receipt's QR code from a PNG or JPEG file.
func (v *verifyScreen) openImage() {
	v.u.openFile([]string{".png", ".jpg", ".jpeg"}, func(r fyne.URIReadCloser) {
		v.run(func() (string, error) {
			defer r.Close()
			return receipt.ScanImage(r)
		})
	})
}

// run gets the code with read and verifies it, both off the UI goroutine.
func (v *verifyScreen) run(read func() (string, error)) {
	if v.busy {
		return
	}
	v.busy = true
	v.status.SetImportance(widget.DangerImportance)
	v.status.Set("")
	// The previous verdict goes at once, so it cannot be taken for this one.
	v.showVerdict(nil, false)
	v.check.Disable()
	v.image.Disable()
	dev := v.u.dev
	sess := v.u.sess
	var verdict *receipt.Verdict
	var known, outdated bool
	var readErr, err error
	v.u.background(func() {
		var text string
		if text, readErr = read(); readErr != nil {
			return
		}
		if verdict, err = dev.VerifyReceipt(text); err == nil && verdict.Fields != nil && verdict.RegistrationID != "" {
			known = dev.HasRecord(verdict.RegistrationID)
			if known && verdict.Valid && sess != nil {
				outdated, _ = sess.ReceiptOutdated(verdict.Fields)
			}
		}
	}, func() {
		v.busy = false
		v.check.Enable()
		v.image.Enable()
		defer v.u.focus(v.input)
		switch {
		case readErr != nil:
			v.showVerdict(nil, false)
			v.status.Set(v.u.imageError(readErr))
		case err != nil:
			fyne.LogError("verifying a receipt failed", nil)
			v.showVerdict(nil, false)
			v.status.Set(v.u.Tf("verify.cannot_check", i18n.Args{"Error": v.u.plainError(err)}))
		default:
			v.showVerdict(verdict, known)
			// A genuine receipt shows the record as it was when issued.
			if outdated {
				v.status.SetImportance(widget.WarningImportance)
				v.status.Set(v.u.T("verify.outdated"))
			}
		}
	})
}

// imageError says in plain words why no code was read from an image.
func (u *UI) imageError(err error) string {
	switch {
	case errors.Is(err, receipt.ErrNotImage):
		return u.T("verify.not_image")
	case errors.Is(err, receipt.ErrTooBig):
		return u.T("verify.too_big")
	case errors.Is(err, receipt.ErrNoCodeSeen):
		return u.T("verify.no_code")
	}
	return u.Tf("verify.image_unreadable", i18n.Args{"Error": u.plainError(err)})
}

// reasonLabels are the message IDs of why a receipt is not valid.
var receiptReasonLabels = map[string]string{
	string(receipt.ReasonAltered):       "verify.reason_altered",
	string(receipt.ReasonUnknownIssuer): "verify.reason_unknown_issuer",
	string(receipt.ReasonRevoked):       "verify.reason_revoked",
	string(receipt.ReasonExpired):       "verify.reason_expired",
	string(receipt.ReasonNotReceipt):    "verify.reason_not_receipt",
}

// reasonText is why a receipt is not valid, in the officer's language
// (a reason the app does not know yet in package receipt's words).
func (u *UI) reasonText(r receipt.Reason) string {
	if id, ok := receiptReasonLabels[string(r)]; ok {
		return u.T(id)
	}
	return r.Message()
}

// clear empties the field and the verdict for the next scan.
func (v *verifyScreen) clear() {
	v.input.SetText("")
	v.status.Set("")
	v.showVerdict(nil, false)
	v.u.focus(v.input)
}

// showVerdict shows vd (nil: nothing).
func (v *verifyScreen) showVerdict(vd *receipt.Verdict, known bool) {
	v.last = vd
	v.verdict.RemoveAll()
	v.scroller.ScrollToTop()
	if vd == nil {
		v.verdict.Refresh()
		return
	}
	u := v.u
	word, say, bg := u.T("verify.not_valid"), u.Tf("verify.reason", i18n.Args{"Reason": u.reasonText(vd.Reason)}), color.Color(invalidRed)
	if vd.Valid {
		word, say, bg = u.T("verify.valid"), u.T("verify.genuine"), validGreen
	}
	big := widget.NewLabelWithStyle(word, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	big.SizeName = sizeNameVerdict
	reason := widget.NewLabelWithStyle(say, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	reason.SizeName = theme.SizeNameHeadingText
	reason.Wrapping = fyne.TextWrapWord
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	banner := container.NewStack(rect, container.NewThemeOverride(
		container.NewPadded(container.NewVBox(big, reason)), &onColourTheme{newTheme()}))
	v.verdict.Add(banner)

	if vd.Fields != nil {
		g := &detailGrid{grid: container.New(layout.NewFormLayout())}
		title := u.T("verify.says")
		if !vd.Valid {
			title = u.T("verify.says_unreliable")
		}
		g.section(title)
		for _, l := range vd.Lines() {
			if shown(l.Value) {
				g.row(l.Label, l.Value)
			}
		}
		if vd.RevokedAt != nil {
			g.row(u.T("verify.device_revoked"), when(*vd.RevokedAt))
		}
		v.verdict.Add(widget.NewCard("", "", dense(g.grid)))
	}
	var actions []fyne.CanvasObject
	if known && u.sess != nil {
		id := vd.RegistrationID
		actions = append(actions, u.primary(u.T("conflicts.open_record"), theme.DocumentIcon(), func() { v.openRecord(id) }))
	}
	actions = append(actions, u.button(u.T("verify.clear_next"), theme.ContentClearIcon(), v.clear))
	v.verdict.Add(toolbar(actions...))
	v.verdict.Refresh()
}

// shown reports whether a receipt line has a value worth showing (an
// unknown issuer's receipt says little that is vouched for).
func shown(value string) bool {
	v := strings.TrimSpace(strings.Trim(value, " ()"))
	return v != "" && !strings.HasPrefix(v, "0001-01-01")
}

// openRecord opens the receipt's record; Back returns here.
func (v *verifyScreen) openRecord(id string) {
	u := v.u
	d := newDetailScreen(u, id, func() { u.sh.show(navVerify, v.root); u.focus(v.input) })
	d.backLabel = u.T("verify.back")
	u.sh.show(navVerify, d.root)
}

// onColourTheme draws text white, for text on the verdict's colour.
type onColourTheme struct{ fyne.Theme }

// Color is part of fyne.Theme.
func (t *onColourTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameForeground {
		return verdictWhite
	}
	return t.Theme.Color(n, v)
}

// Size is part of fyne.Theme.
func (t *onColourTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == sizeNameVerdict {
		return 44
	}
	return t.Theme.Size(n)
}

// scanEntry is the field a keyboard-wedge scanner types into. Pasting
// drops line breaks and tabs instead of turning them into spaces (as a
// one-line entry does): a space is part of a receipt's code, so a stray
// one would make a genuine receipt look altered.
type scanEntry struct{ entry }

func newScanEntry(u *UI, placeholder string) *scanEntry {
	e := &scanEntry{entry{onInput: u.activity}}
	e.PlaceHolder = placeholder
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut cleans pasted text before the entry inserts it.
func (e *scanEntry) TypedShortcut(s fyne.Shortcut) {
	if p, ok := s.(*fyne.ShortcutPaste); ok && p.Clipboard != nil {
		orig := p.Clipboard.Content()
		clean := strings.NewReplacer("\r", "", "\n", "", "\t", "").Replace(orig)
		if clean != orig {
			p.Clipboard.SetContent(clean)
			defer p.Clipboard.SetContent(orig)
		}
	}
	e.entry.TypedShortcut(s)
}
