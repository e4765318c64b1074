package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/trust"
)

// Resolution of --png: at least 150 dpi (readable when printed), at most
// 600 (an A4 page at 600 dpi is 35 megapixels).
const (
	noticeMinDPI = 150
	noticeMaxDPI = 600
)

// cmdNotice prints or renders the information notice in the person's
// language: blank for the deployment (with --data), generic (without), or
// filled for one registration (with its ID).
func cmdNotice(env *Env, args []string) int {
	cmd, fs := newRun(env, "notice")
	lang := fs.String("lang", "", "the person's language, ISO 639-3 (required): "+strings.Join(notice.Languages(), ", "))
	text := fs.Bool("text", false, "print the notice as UTF-8 text in logical order")
	pngOut := fs.String("png", "", "write the first A4 page as a PNG image to this new file")
	pdfOut := fs.String("pdf", "", "write the A4 notice as a PDF to this new file")
	dpi := fs.Int("dpi", noticeMinDPI, fmt.Sprintf("resolution of --png (%d to %d)", noticeMinDPI, noticeMaxDPI))
	force := fs.Bool("force", false, "replace existing --png and --pdf files (they are never written through a link)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: fieldreg notice --lang LANG [--data DIR --passphrase-file F ID] (--text | --png OUT | --pdf OUT) [--force]")
		fmt.Fprintln(env.Stderr, "Without ID: a blank notice for the deployment of --data, or a generic one without --data.")
		fs.PrintDefaults()
	}
	// The contract puts the ID before the output flags: flags are read on
	// both sides of it.
	var pos []string
	for {
		if rc, stop := cmd.parse(args, nil, ""); stop {
			return rc
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if !notice.Known(*lang) {
		fmt.Fprintf(env.Stderr, "fieldreg notice: the notice is not written in %q; known languages: %s\n", *lang, strings.Join(notice.Languages(), " "))
		return 2
	}
	if len(pos) > 1 || (!*text && *pngOut == "" && *pdfOut == "") {
		fs.Usage()
		return 2
	}
	if *dpi < noticeMinDPI || *dpi > noticeMaxDPI {
		fmt.Fprintf(env.Stderr, "fieldreg notice: --dpi must be %d to %d\n", noticeMinDPI, noticeMaxDPI)
		return 2
	}
	dataSet := false
	fs.Visit(func(f *flag.Flag) { dataSet = dataSet || f.Name == "data" })
	id := ""
	if len(pos) == 1 {
		id = pos[0]
	}

	var contacts *trust.Contacts
	var person notice.Person
	switch {
	case id != "":
		s, err := cmd.open()
		if err != nil {
			return fail(env, err)
		}
		defer cmd.close()
		if contacts, err = noticeContacts(env, s.Device()); err != nil {
			return fail(env, err)
		}
		nd, err := s.NoticeDetails(id)
		if err != nil {
			return fail(env, err)
		}
		person = notice.Person{ID: nd.ID, Date: nd.Date, Place: nd.Station}
	case dataSet:
		d, err := device.Open(cmd.u.data, env.Opts)
		if err != nil {
			return fail(env, err)
		}
		contacts, err = noticeContacts(env, d)
		d.Close()
		if err != nil {
			return fail(env, err)
		}
	}
	n, err := notice.New(*lang, contacts, person)
	if err != nil {
		return fail(env, err)
	}
	if *text {
		fmt.Fprint(env.Stdout, n.Text())
	}
	if *pngOut != "" {
		if err := writeRendered(*pngOut, *force, func(w io.Writer) error { return n.PNG(w, float64(*dpi)) }); err != nil {
			return fail(env, err)
		}
	}
	if *pdfOut != "" {
		if err := writeRendered(*pdfOut, *force, n.PDF); err != nil {
			return fail(env, err)
		}
	}
	fmt.Fprintf(env.Stderr, "information notice %s, version %s\n", *lang, n.Version)
	return 0
}

// noticeContacts reads the device's notice contacts; without them the
// notice keeps blanks to fill in by hand, and the operator is told.
func noticeContacts(env *Env, d *device.Device) (*trust.Contacts, error) {
	c, err := d.Contacts()
	if errors.Is(err, device.ErrNoContacts) {
		fmt.Fprintln(env.Stderr, "fieldreg notice: warning:", err, "- the notice leaves them blank")
		return nil, nil
	}
	return c, err
}

// writeRendered renders into memory, then writes the output file the one
// way every command does (writeOutput).
func writeRendered(path string, force bool, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	return writeOutput(path, force, buf.Bytes())
}

// cmdContacts shows the notice contacts this device holds, or (standalone
// devices, a supervisor) sets them from a JSON file.
func cmdContacts(env *Env, args []string) int {
	cmd, fs := newRun(env, "contacts")
	set := fs.String("set", "", "standalone device: sign and set the contacts from this JSON file (controller, controller_contact, dpo, supervisor, supervisor_contact, legal_basis)")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 0 }, ""); stop {
		return rc
	}
	var c *trust.Contacts
	if *set != "" {
		b, err := safefile.ReadFile(*set, "the contacts file", trust.MaxContactsSize)
		if err != nil {
			return fail(env, err)
		}
		in, err := trust.ParseContactsInput(b)
		if err != nil {
			return fail(env, err)
		}
		s, err := cmd.open()
		if err != nil {
			return fail(env, err)
		}
		defer cmd.close()
		if c, err = s.SetContacts(in); err != nil {
			return fail(env, err)
		}
	} else {
		d, err := device.Open(cmd.u.data, env.Opts)
		if err != nil {
			return fail(env, err)
		}
		defer d.Close()
		if c, err = d.Contacts(); err != nil {
			return fail(env, err)
		}
	}
	out, _ := json.MarshalIndent(c.Input(), "", "  ")
	fmt.Fprintln(env.Stdout, string(out))
	return 0
}
