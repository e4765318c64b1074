package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/sync/bundle"
)

// maxBundleCopy caps the copy made of a bundle whose file cannot seek
// (some platform storage providers, Android's among them). Bundles are
// encrypted, so the copy holds only ciphertext; the cap keeps a wrong
// choice (a disk image, a video) from filling the tablet's storage.
const maxBundleCopy = 8 << 30

// bundleRefused is (the message ID of) what the officer reads when a file is
// not a bundle from the hub for this device, or was altered or cut short.
const bundleRefused = "usb.refused"

// usbCard exports the changes waiting for the hub to a file (a USB stick)
// and imports the hub's answer bundle, for posts without a network. It is
// only offered on enrolled devices; on a standalone device root is empty.
type usbCard struct {
	u    *UI
	root fyne.CanvasObject

	exportBtn *widget.Button
	importBtn *widget.Button
	progress  *widget.ProgressBarInfinite // while the amount is not known
	bar       *widget.ProgressBar         // events done of the total
	doing     *widget.Label
	result    message
	errMsg    message
	busy      bool
	// onImported runs on the UI goroutine after a bundle from the hub was
	// imported (the sync screen reloads its status and waiting list).
	onImported func(*device.BundleImport)
}

func newUSBCard(u *UI) *usbCard {
	c := &usbCard{u: u}
	if u.dev == nil || u.dev.Info().Standalone {
		c.root = container.NewVBox()
		return c
	}
	c.exportBtn = u.button(u.T("usb.export"), theme.UploadIcon(), c.export)
	c.importBtn = u.button(u.T("usb.import"), theme.DownloadIcon(), c.importBundle)
	c.progress = widget.NewProgressBarInfinite()
	c.progress.Stop()
	c.progress.Hide()
	c.bar = widget.NewProgressBar()
	c.bar.TextFormatter = func() string {
		return u.Tn("usb.events_progress", int(c.bar.Max), i18n.Args{"Done": u.loc.Number(int(c.bar.Value))})
	}
	c.bar.Hide()
	c.doing = widget.NewLabel("")
	c.doing.Hide()
	c.result = newMessage(widget.SuccessImportance)
	c.errMsg = newMessage(widget.DangerImportance)
	c.root = widget.NewCard(u.T("usb.title"), "", container.NewVBox(
		para(u.T("usb.help")),
		toolbar(c.exportBtn, c.importBtn), c.doing, c.progress, c.bar, c.result.Object(), c.errMsg.Object()))
	return c
}

// bundleFileName suggests a name for an export: the device ID and the UTC
// time, never anything about a person.
func bundleFileName(deviceID string, now time.Time) string {
	return deviceID + "-" + now.UTC().Format("20060102T150405Z") + ".bundle"
}

// start shows the progress bar and disables both buttons.
func (c *usbCard) start(doing string) {
	c.busy = true
	c.result.Set("")
	c.errMsg.Set("")
	c.exportBtn.Disable()
	c.importBtn.Disable()
	c.doing.SetText(doing)
	c.doing.Show()
	c.bar.Hide()
	c.progress.Show()
	c.progress.Start()
}

// advance shows how far the export or import is; called on the UI
// goroutine. Until the total is known the bar runs without a count.
func (c *usbCard) advance(doing string, done, total int) {
	if !c.busy || total <= 0 {
		return
	}
	c.doing.SetText(doing)
	c.progress.Stop()
	c.progress.Hide()
	c.bar.Max = float64(total)
	c.bar.SetValue(float64(done))
	c.bar.Show()
}

// progressFn reports a bundle's progress to the card from the worker
// goroutine, at most every 100 ms (and always at the end).
func (c *usbCard) progressFn(doing string) device.BundleProgress {
	var last time.Time
	return func(done, total int) {
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		c.u.do(func() { c.advance(doing, done, total) })
	}
}

// stop hides the progress bar and enables the buttons again.
func (c *usbCard) stop() {
	c.busy = false
	c.progress.Stop()
	c.progress.Hide()
	c.bar.Hide()
	c.doing.Hide()
	c.exportBtn.Enable()
	c.importBtn.Enable()
}

// export asks where to write the bundle, then writes it off the UI goroutine.
func (c *usbCard) export() {
	u := c.u
	if c.busy || u.sess == nil {
		return
	}
	now := time.Now()
	if u.opts.Now != nil {
		now = u.opts.Now()
	}
	u.saveFile(bundleFileName(u.dev.Info().DeviceID, now), func(w fyne.URIWriteCloser) {
		sess := u.sess
		if sess == nil {
			w.Close()
			return
		}
		writing := u.T("usb.writing")
		c.start(writing)
		var res *device.BundleExport
		var err error
		u.background(func() {
			res, err = sess.ExportBundle(context.Background(), w, c.progressFn(writing))
			if cerr := w.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("the file could not be written: %w", cerr)
			}
			if err != nil {
				// A partial bundle is useless (the hub refuses it): do not
				// leave it on the stick to be carried to the office.
				_ = storage.Delete(w.URI())
			}
		}, func() {
			c.stop()
			if err != nil {
				c.errMsg.Set(u.Tf("usb.not_written", i18n.Args{"Error": u.exportErrorText(err)}))
				return
			}
			c.result.Set(u.bundleExportText(res, w.URI().Name()))
		})
	})
}

// bundleExportText is the plain result of an export.
func (u *UI) bundleExportText(r *device.BundleExport, name string) string {
	text := u.Tn("usb.written", r.Events, nil)
	if name != "" {
		text = u.Tn("usb.written_name", r.Events, i18n.Args{"Name": name})
	}
	text += " " + u.T("usb.take_it")
	if r.Prekey != "" {
		text += " " + u.T("usb.sealed_one_time")
	} else {
		text += " " + u.T("usb.sealed_long_term")
	}
	if r.Pending > 0 {
		text += " " + u.Tn("usb.still_waiting_ack", r.Pending, nil)
	}
	return text
}

func (u *UI) exportErrorText(err error) string {
	if errors.Is(err, device.ErrNoHubBundleKey) {
		return u.T("usb.old_enrolment")
	}
	return u.plainError(err)
}

// importBundle asks for a bundle file, then imports it off the UI goroutine.
func (c *usbCard) importBundle() {
	u := c.u
	if c.busy || u.sess == nil {
		return
	}
	u.openFile([]string{".bundle"}, func(r fyne.URIReadCloser) {
		sess := u.sess
		if sess == nil {
			r.Close()
			return
		}
		c.start(u.T("usb.reading"))
		var res *device.BundleImport
		var err error
		applying := u.T("usb.applying")
		u.background(func() {
			defer r.Close()
			var rs io.ReadSeeker
			var done func()
			rs, done, err = bundleReader(r, u.dir)
			if err != nil {
				return
			}
			defer done()
			res, err = sess.ImportBundle(context.Background(), rs, c.progressFn(applying))
		}, func() {
			c.stop()
			if err != nil {
				c.errMsg.Set(u.importErrorText(err))
				return
			}
			c.result.Set(u.bundleImportText(res))
			if u.sh != nil && u.sh.banner != nil {
				u.sh.banner.Refresh() // the bundle may tell the device it is revoked
			}
			if c.onImported != nil {
				c.onImported(res)
			}
		})
	})
}

// Errors of bundleReader: the file is beyond maxBundleCopy; the device has
// no room for a copy.
var (
	errBundleTooBig = errors.New("this file is too large to be a bundle: nothing was applied")
	errNoRoom       = errors.New("there is no room on this device for a copy of the bundle: free some space and try again")
)

// bundleReader returns r itself if it can seek. Otherwise it copies r to a
// temporary file in dir (owner-only, removed by done) rather than into
// memory: a tablet has less memory than a big bundle.
func bundleReader(r io.Reader, dir string) (rs io.ReadSeeker, done func(), err error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		return rs, func() {}, nil
	}
	// Copies left by an import cut short (the battery, a crash): one import
	// runs at a time, so any copy found now is stale.
	if stale, _ := filepath.Glob(filepath.Join(dir, ".bundle-import-*")); len(stale) > 0 {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	f, err := os.CreateTemp(dir, ".bundle-import-*")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errNoRoom, err)
	}
	done = func() {
		f.Close()
		os.Remove(f.Name())
	}
	n, err := io.Copy(f, io.LimitReader(r, maxBundleCopy+1))
	switch {
	case errors.Is(err, syscall.ENOSPC):
		done()
		return nil, nil, errNoRoom
	case err != nil:
		done()
		return nil, nil, fmt.Errorf("the file could not be read: %w", err)
	case n > maxBundleCopy:
		done()
		return nil, nil, errBundleTooBig
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		done()
		return nil, nil, err
	}
	return f, done, nil
}

// importErrorText is the plain refusal for a bundle that was not taken.
func (u *UI) importErrorText(err error) string {
	switch {
	case errors.Is(err, errBundleTooBig), errors.Is(err, bundle.ErrTooLarge):
		return u.T("usb.too_large")
	case errors.Is(err, bundle.ErrNotBundle), errors.Is(err, bundle.ErrNotForUs), errors.Is(err, bundle.ErrDamaged),
		errors.Is(err, bundle.ErrBadSignature), errors.Is(err, bundle.ErrMalformed):
		return u.T(bundleRefused)
	case errors.Is(err, device.ErrSessionLocked):
		return u.plainError(err)
	case errors.Is(err, errNoRoom):
		return u.T("usb.no_room")
	}
	return u.Tf("usb.not_imported", i18n.Args{"Error": u.plainError(err)})
}

// bundleImportText is the plain result of an import.
func (u *UI) bundleImportText(r *device.BundleImport) string {
	if r.Repeated {
		return u.T("usb.repeated")
	}
	var parts []string
	if r.Refused > 0 || r.Quarantined > 0 {
		parts = append(parts, u.Tn("usb.imported_refused", r.Received, i18n.Args{"Refused": u.loc.Number(r.Refused), "Quarantined": u.loc.Number(r.Quarantined)}))
	} else {
		parts = append(parts, u.Tn("usb.imported", r.Received, nil))
	}
	if r.Conflicts > 0 {
		parts = append(parts, u.Tn("usb.conflicts", r.Conflicts, nil))
	}
	if r.Pending == 0 {
		parts = append(parts, u.T("usb.all_acknowledged"))
	} else {
		parts = append(parts, u.Tn("usb.still_waiting", r.Pending, nil))
	}
	return strings.Join(parts, " ")
}
