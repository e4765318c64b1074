package app

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
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
	t.fullBirth = u.check("Print the full date of birth on receipts (otherwise only the year of birth)", nil)
	t.fullBirth.SetChecked(u.dev.ReceiptFullBirthDate())
	t.fullBirth.OnChanged = func(v bool) { u.activity(); t.setFullBirth(v) }
	t.importBtn = u.button("Import trust or revocation file…", theme.DownloadIcon(), t.importFile)
	t.exportBtn = u.button("Export trust file…", theme.UploadIcon(), t.exportFile)
	t.trustMsg = newMessage(widget.SuccessImportance)
	return t
}

// cards are the settings' cards, in order.
func (t *trustSettings) cards() []fyne.CanvasObject {
	u := t.u
	out := []fyne.CanvasObject{
		widget.NewCard("Receipts", "", container.NewVBox(
			para("A receipt carries the registration ID, the name in Latin letters, the date and place of registration, and the year of birth. Never nationality, category or vulnerabilities."),
			t.fullBirth, t.birthMsg.Object())),
		widget.NewCard("Trust", "", container.NewVBox(
			para("The trust file tells this device which countries' receipts to accept and which devices were revoked. It holds no secret."),
			toolbar(t.importBtn, t.exportBtn), t.trustMsg.Object())),
	}
	if u.sess != nil && u.sess.Authority() != nil {
		t.revokeID = u.newEntry("device ID, as shown on its receipts")
		t.revokeID.OnSubmitted = func(string) { t.revoke() }
		t.revokeBtn = u.button("Revoke device…", theme.WarningIcon(), t.revoke)
		t.revokeMsg = newMessage(widget.SuccessImportance)
		out = append(out, widget.NewCard("Revoke a device", "", container.NewVBox(
			para("For a lost or stolen device of this deployment. Its receipts issued from now on fail verification; earlier ones stay valid. Then export the trust file and import it on the other devices."),
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
		t.birthMsg.Set("Not changed. " + plainError(err))
		return
	}
	t.birthMsg.SetImportance(widget.SuccessImportance)
	if full {
		t.birthMsg.Set("Saved: new receipts show the full date of birth when it is known.")
	} else {
		t.birthMsg.Set("Saved: new receipts show only the year of birth.")
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
				msg := "Nothing was changed: this file was refused. " + plainError(err)
				if errors.Is(err, device.ErrNotSupervisor) {
					msg = "Nothing was changed: only a supervisor can add a country or change its keys."
				}
				t.trustMsg.Set(msg)
				return
			}
			t.trustMsg.SetImportance(widget.SuccessImportance)
			t.trustMsg.Set(importText(rep))
		})
	})
}

// importText says what a trust import changed.
func importText(rep *device.TrustImport) string {
	var parts []string
	if len(rep.Added) > 0 {
		parts = append(parts, "Receipts of "+strings.Join(rep.Added, ", ")+" are now accepted (root keys added or changed).")
	}
	if len(rep.Revocations) > 0 {
		parts = append(parts, "Newer lists of revoked devices taken for "+strings.Join(rep.Revocations, ", ")+".")
	}
	if len(parts) == 0 {
		return "The file held nothing new: this device already knew everything in it."
	}
	if len(rep.Unchanged) > 0 {
		parts = append(parts, "Nothing new for "+strings.Join(rep.Unchanged, ", ")+".")
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
				t.trustMsg.Set("The trust file could not be saved. " + plainError(err))
				return
			}
			t.trustMsg.SetImportance(widget.SuccessImportance)
			t.trustMsg.Set("Saved as " + name + ". Import it on the devices that check this country's receipts.")
		})
	})
}

// revoke asks for confirmation, then revokes the device from now on.
func (t *trustSettings) revoke() {
	u := t.u
	id := strings.TrimSpace(t.revokeID.Text)
	if id == "" {
		t.revokeMsg.SetImportance(widget.DangerImportance)
		t.revokeMsg.Set("Type the ID of the device to revoke.")
		return
	}
	if id == u.dev.Info().DeviceID {
		t.revokeMsg.SetImportance(widget.DangerImportance)
		t.revokeMsg.Set("That is this device. It cannot revoke itself here.")
		return
	}
	dialog.ShowConfirm("Revoke device "+id+"?",
		"Receipts it issues from now on will fail verification everywhere this trust file is imported. This cannot be undone.",
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
					t.revokeMsg.Set("Not revoked. " + plainError(err))
					return
				}
				t.revokeID.SetText("")
				t.revokeMsg.SetImportance(widget.SuccessImportance)
				t.revokeMsg.Set(fmt.Sprintf("Device %s is revoked from %s. Export the trust file and import it on the other devices.", id, when(at)))
			})
		}, u.win)
}
