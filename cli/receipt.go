package cli

import (
	"bytes"
	"fmt"
)

// cmdReceipt issues (or reissues) the signed QR receipt of one registration.
func cmdReceipt(env *Env, args []string) int {
	fs := flags(env, "receipt")
	var u unlockFlags
	u.register(fs)
	pngOut := fs.String("png", "", "write the QR code to this PNG file (required)")
	pdfOut := fs.String("pdf", "", "also write a printable A6 receipt to this PDF file")
	text := fs.Bool("print-text", false, "also print the receipt's QR text on standard output")
	force := fs.Bool("force", false, "replace existing --png and --pdf files (they are never written through a link)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: fieldreg receipt --data DIR --passphrase-file FILE --png OUT.png [--pdf OUT.pdf] [--force] ID")
		fs.PrintDefaults()
	}
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if fs.NArg() != 1 || *pngOut == "" {
		fs.Usage()
		return 2
	}
	// Before a receipt is issued for them: an output refused afterwards
	// would leave an issued receipt nobody holds.
	for _, out := range []string{*pngOut, *pdfOut} {
		if out == "" {
			continue
		}
		if err := outputAbsent(out, *force); err != nil {
			return fail(env, err)
		}
	}
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	r, err := s.IssueReceipt(fs.Arg(0))
	if err != nil {
		return fail(env, err)
	}
	png, err := r.PNG(0)
	if err != nil {
		return fail(env, err)
	}
	// The files show the person's name: new files readable by this user
	// only (writeOutput).
	if err := writeOutput(*pngOut, *force, png); err != nil {
		return fail(env, fmt.Errorf("cannot write the PNG: %w", err))
	}
	if *pdfOut != "" {
		var buf bytes.Buffer
		if err := r.PDF(&buf); err != nil {
			return fail(env, err)
		}
		if err := writeOutput(*pdfOut, *force, buf.Bytes()); err != nil {
			return fail(env, fmt.Errorf("cannot write the PDF: %w", err))
		}
	}
	if *text {
		fmt.Fprintln(env.Stdout, r.Text)
	}
	fmt.Fprintf(env.Stderr, "receipt %s for %s (QR version %d, valid until %s)\n", r.ReceiptID, r.RegistrationID,
		r.QRVersion(), r.ExpiresAt.Format("2006-01-02"))
	return 0
}
