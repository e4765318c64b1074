package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

// saveDialog is Fyne's file save dialog, suggesting name. What the app
// saves (receipts with a name on them, the recovery key) is for the device's
// user only: a file on disk is made readable by its owner only before
// anything is written to it (Fyne creates it with the default mode).
func (u *UI) saveDialog(name string, done func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		if err := ownerOnly(w); err != nil {
			_ = w.Close()
			u.showError(u.T("file.unprotected"))
			return
		}
		done(w)
	}, u.win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// ownerOnly makes a file being written readable by its owner only (a
// no-op for other kinds of location).
func ownerOnly(w fyne.URIWriteCloser) error {
	if w.URI().Scheme() != "file" {
		return nil
	}
	return os.Chmod(w.URI().Path(), 0o600)
}

// openDialog is Fyne's file open dialog, showing files ending in exts.
func (u *UI) openDialog(exts []string, done func(fyne.URIReadCloser)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		done(r)
	}, u.win)
	if len(exts) > 0 {
		all := append([]string(nil), exts...)
		for _, e := range exts {
			all = append(all, strings.ToUpper(e))
		}
		d.SetFilter(storage.NewExtensionFileFilter(all))
	}
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// writeFile writes what make returns to w off the UI goroutine, then calls
// done on the UI goroutine with the file's name, or with a plain error.
func (u *UI) writeFile(w fyne.URIWriteCloser, make func() ([]byte, error), done func(name string, err error)) {
	name := w.URI().Name()
	var err error
	u.background(func() {
		var b []byte
		b, err = make()
		if err == nil {
			_, err = w.Write(b)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}, func() { done(name, err) })
}

// printTimeout bounds how long handing a job to the print system may take.
const printTimeout = 30 * time.Second

// systemPrinter returns how this platform prints a PDF, or nil if the app
// cannot print here. On Linux (and the BSDs) that is CUPS's lp, given the
// PDF on its standard input: the document never touches the disk, where it
// would hold the person's name. Elsewhere the officer saves the PDF and
// prints it with the system's own viewer.
func systemPrinter() func([]byte) (string, error) {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return nil
	}
	lp, err := exec.LookPath("lp")
	if err != nil {
		return nil
	}
	return func(pdf []byte) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), printTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, lp, "-")
		cmd.Stdin = bytes.NewReader(pdf)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			msg := firstLine(errOut.String())
			if msg == "" {
				msg = err.Error()
			}
			return "", errors.New(msg)
		}
		return firstLine(out.String()), nil
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// printResult says in plain words what happened to a print job.
func (u *UI) printResult(said string, err error) string {
	if err != nil {
		return u.Tf("print.failed", i18n.Args{"Error": err.Error()})
	}
	if said != "" {
		return u.Tf("print.sent_said", i18n.Args{"Said": said})
	}
	return u.T("print.sent")
}
