package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/receipt"
)

// cmdVerify checks a receipt from its text or an image and prints the
// verdict as JSON. Exit status: 0 valid, 1 not valid, 2 usage error or
// unreadable input.
func cmdVerify(env *Env, args []string) int {
	fs := flags(env, "verify")
	trustFile := fs.String("trust", "", "trust file (from 'fieldreg trust export'); default: the trust of the device in --data")
	data := fs.String("data", device.DefaultDir(), "data directory whose trust is used when --trust is not given")
	text := fs.String("text", "", "the receipt's text, as a scanner types it ('-': read one line from standard input)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: fieldreg verify [--trust FILE | --data DIR] (--text STRING | IMAGE)")
		fs.PrintDefaults()
	}
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	textSet := false
	fs.Visit(func(f *flag.Flag) { textSet = textSet || f.Name == "text" })
	if textSet == (fs.NArg() == 1) || fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	input := *text
	var err error
	switch {
	case fs.NArg() == 1:
		input, err = scanFile(fs.Arg(0))
	case input == "-":
		input, err = readLine(env.Stdin)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "fieldreg verify:", err)
		return 2
	}
	var v *receipt.Verdict
	if *trustFile != "" {
		tf, _, err := readTrustFile(*trustFile)
		if err != nil {
			fmt.Fprintln(env.Stderr, "fieldreg verify:", err)
			return 2
		}
		now := time.Now()
		if env.Opts.Now != nil {
			now = env.Opts.Now()
		}
		v = receipt.Verify(input, tf, now)
	} else {
		d, err := device.Open(*data, env.Opts)
		if err != nil {
			fmt.Fprintln(env.Stderr, "fieldreg verify: no --trust file, and", err)
			return 2
		}
		defer d.Close()
		if v, err = d.VerifyReceipt(input); err != nil {
			fmt.Fprintln(env.Stderr, "fieldreg verify:", err)
			return 2
		}
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	if !v.Valid {
		return 1
	}
	return 0
}

// scanFile reads the QR code in an image file.
func scanFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("cannot read the image: %w", err)
	}
	defer f.Close()
	return receipt.ScanImage(f)
}

// readLine reads one line (a scanner's keystrokes), bounded in length.
func readLine(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), receipt.MaxTextLen+16)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("reading standard input: %w", err)
		}
		return "", errors.New("no receipt text on standard input")
	}
	return strings.TrimRight(sc.Text(), "\r"), nil
}
