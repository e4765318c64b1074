package app

import (
	"errors"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/trust"
)

// trustSettings are the supervisor's receipt settings: what a receipt
// shows of the date of birth, the trust file (other countries' root keys
// and revoked devices) in and out, and, on a standalone device that holds
// its country authority, revoking a device.
type trustSettings struct {
	u         *UI
	fullBirth *widget.Check
	birthMsg  message
	importBtn *widget.Button
	exportBtn *widget.Button
	trustMsg  message
	revokeID  *entry
	revokeBtn *widget.Button
	revokeMsg message
}

func newTrustSettings(u *UI) *trustSettings {
	t := &trustSettings{u: u}
	t.birthMsg = newMessage(widget.SuccessImportance)
	t.fullBirth = u.check(u.T("trust.full_birth"), nil)
	t.fullBirth.SetChecked(u.dev.ReceiptFullBirthDate())
	t.fullBirth.OnChanged = func(v bool) { u.activity(); t.setFullBirth(v) }
	t.importBtn = u.button(u.T("trust.import"), theme.DownloadIcon(), t.importFile)
	t.exportBtn = u.button(u.T("trust.export"), theme.UploadIcon(), t.exportFile)
	t.trustMsg = newMessage(widget.SuccessImportance)
	return t
}

// cards are the settings' cards, in order.
func (t *trustSettings) cards() []fyne.CanvasObject {
	u := t.u
	out := []fyne.CanvasObject{
		widget.NewCard(u.T("trust.receipts"), "", container.NewVBox(
			para(u.T("trust.receipts_help")),
			t.fullBirth, t.birthMsg.Object())),
		widget.NewCard(u.T("trust.title"), "", container.NewVBox(
			para(u.T("trust.help")),
			toolbar(t.importBtn, t.exportBtn), t.trustMsg.Object())),
	}
	if u.sess != nil && u.sess.Authority() != nil {
		t.revokeID = u.newEntry(u.T("trust.revoke_placeholder"))
		t.revokeID.OnSubmitted = func(string) { t.revoke() }
		t.revokeBtn = u.button(u.T("trust.revoke"), theme.WarningIcon(), t.revoke)
		t.revokeMsg = newMessage(widget.SuccessImportance)
		out = append(out, widget.NewCard(u.T("trust.revoke_title"), "", container.NewVBox(
			para(u.T("trust.revoke_help")),
			t.revokeID, toolbar(t.revokeBtn), t.revokeMsg.Object())))
	}
	return out
}

func (t *trustSettings) setFullBirth(full bool) {
	sess := t.u.sess
	if sess == nil {
		return
	}
	var err error
	t.u.background(func() { err = sess.SetReceiptFullBirthDate(full) }, func() {
		if t.u.sess == sess {
			t.showFullBirth(full, err)
		}
	})
}

// showFullBirth says whether the receipt setting was saved.
func (t *trustSettings) showFullBirth(full bool, err error) {
	if err != nil {
		t.birthMsg.SetImportance(widget.DangerImportance)
		t.birthMsg.Set(t.u.Tf("common.not_changed_error", i18n.Args{"Error": t.u.plainError(err)}))
		return
	}
	t.birthMsg.SetImportance(widget.SuccessImportance)
	if full {
		t.birthMsg.Set(t.u.T("trust.full_birth_saved"))
	} else {
		t.birthMsg.Set(t.u.T("trust.year_saved"))
	}
}

// importFile reads a trust file and takes it in, off the UI goroutine.
func (t *trustSettings) importFile() {
	u := t.u
	u.openFile([]string{".json"}, func(r fyne.URIReadCloser) {
		sess := u.sess
		if sess == nil {
			_ = r.Close()
			return
		}
		t.importBtn.Disable()
		var rep *device.TrustImport
		var err error
		u.background(func() {
			defer r.Close()
			var b []byte
			b, err = io.ReadAll(io.LimitReader(r, trust.MaxFileSize+1))
			if err == nil {
				rep, err = sess.ImportTrust(b)
			}
		}, func() {
			t.importBtn.Enable()
			if err != nil {
				t.trustMsg.SetImportance(widget.DangerImportance)
				msg := u.Tf("trust.refused", i18n.Args{"Error": u.plainError(err)})
				if errors.Is(err, device.ErrNotSupervisor) {
					msg = u.T("trust.refused_supervisor")
				}
				t.trustMsg.Set(msg)
				return
			}
			t.trustMsg.SetImportance(widget.SuccessImportance)
			t.trustMsg.Set(u.importText(rep))
		})
	})
}

// importText says what a trust import changed.
func (u *UI) importText(rep *device.TrustImport) string {
	var parts []string
	if len(rep.Added) > 0 {
		parts = append(parts, u.Tf("trust.added", i18n.Args{"Countries": strings.Join(rep.Added, ", ")}))
	}
	if len(rep.Revocations) > 0 {
		parts = append(parts, u.Tf("trust.revocations", i18n.Args{"Countries": strings.Join(rep.Revocations, ", ")}))
	}
	if len(parts) == 0 {
		return u.T("trust.nothing_new")
	}
	if len(rep.Unchanged) > 0 {
		parts = append(parts, u.Tf("trust.unchanged", i18n.Args{"Countries": strings.Join(rep.Unchanged, ", ")}))
	}
	return strings.Join(parts, " ")
}

// exportFile saves this device's trust file for other devices.
func (t *trustSettings) exportFile() {
	u := t.u
	name := "fieldreg-trust-" + strings.ToLower(u.dev.Info().Country) + ".json"
	u.saveFile(name, func(w fyne.URIWriteCloser) {
		dev := u.dev
		u.writeFile(w, func() ([]byte, error) {
			tf, err := dev.TrustFile()
			if err != nil {
				return nil, err
			}
			return tf.Marshal()
		}, func(name string, err error) {
			if err != nil {
				t.trustMsg.SetImportance(widget.DangerImportance)
				t.trustMsg.Set(u.Tf("trust.save_failed", i18n.Args{"Error": u.plainError(err)}))
				return
			}
			t.trustMsg.SetImportance(widget.SuccessImportance)
			t.trustMsg.Set(u.Tf("trust.saved", i18n.Args{"Name": name}))
		})
	})
}

// revoke asks for confirmation, then revokes the device from now on.
func (t *trustSettings) revoke() {
	u := t.u
	id := strings.TrimSpace(t.revokeID.Text)
	if id == "" {
		t.revokeMsg.SetImportance(widget.DangerImportance)
		t.revokeMsg.Set(u.T("trust.type_id"))
		return
	}
	if id == u.dev.Info().DeviceID {
		t.revokeMsg.SetImportance(widget.DangerImportance)
		t.revokeMsg.Set(u.T("trust.self"))
		return
	}
	u.confirm(u.Tf("trust.revoke_confirm_title", i18n.Args{"ID": id}),
		u.T("trust.revoke_confirm"),
		func(ok bool) {
			if !ok {
				return
			}
			sess := u.sess
			if sess == nil {
				return
			}
			t.revokeBtn.Disable()
			at := u.dev.Now()
			var err error
			u.background(func() { _, err = sess.RevokeDevice(id, at) }, func() {
				t.revokeBtn.Enable()
				if err != nil {
					t.revokeMsg.SetImportance(widget.DangerImportance)
					t.revokeMsg.Set(u.Tf("trust.not_revoked", i18n.Args{"Error": u.plainError(err)}))
					return
				}
				t.revokeID.SetText("")
				t.revokeMsg.SetImportance(widget.SuccessImportance)
				t.revokeMsg.Set(u.Tf("trust.revoked", i18n.Args{"ID": id, "When": when(at)}))
			})
		})
}
