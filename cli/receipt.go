package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/receipt"
)

// cmdReceipt issues (or reissues) the signed QR receipt of one registration.
func cmdReceipt(env *Env, args []string) int {
	cmd, fs := newRun(env, "receipt")
	pngOut := fs.String("png", "", "write the QR code to this PNG file (required)")
	pdfOut := fs.String("pdf", "", "also write a printable A6 receipt to this PDF file")
	text := fs.Bool("print-text", false, "also print the receipt's QR text on standard output")
	lang := fs.String("lang", "", "with --pdf: also word the receipt in the person's language (ISO 639-3: "+strings.Join(notice.Languages(), ", ")+")")
	force := fs.Bool("force", false, "replace existing --png and --pdf files (they are never written through a link)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: fieldreg receipt --data DIR --passphrase-file FILE --png OUT.png [--pdf OUT.pdf [--lang LANG]] [--force] ID")
		fs.PrintDefaults()
	}
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 || *pngOut == "" }, ""); stop {
		return rc
	}
	var tr *receipt.Translation
	if *lang != "" {
		var err error
		if tr, err = notice.ReceiptTranslation(*lang); err != nil {
			fmt.Fprintf(env.Stderr, "fieldreg receipt: the receipt is not worded in %q; known languages: %s\n", *lang, strings.Join(notice.Languages(), " "))
			return 2
		}
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
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
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
		if err := r.PDFIn(&buf, tr); err != nil {
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
