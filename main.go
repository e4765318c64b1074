// Command fieldreg is the offline-first registration app: without arguments
// (or with --data DIR) it opens the Fyne window; with a subcommand it runs
// the headless command line.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/fieldreg/fieldreg/app"
	"github.com/fieldreg/fieldreg/cli"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
)

func main() {
	// Everything this program creates is owner-only, whatever the umask
	// (the data, receipts, exports all concern people at risk).
	safefile.RestrictUmask()
	// Anything but flags is a command: a mistyped one ("snyc") is named as
	// unknown, it never opens the window.
	if len(os.Args) > 1 && (cli.IsCommand(os.Args[1]) || !strings.HasPrefix(os.Args[1], "-")) {
		os.Exit(cli.Run(&cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
	}
	withFyneCache()
	data := flag.String("data", device.DefaultDir(), "data directory of this device")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fieldreg: %q after the flags: the window takes only --data (commands come first: fieldreg help)\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := app.Run(*data); err != nil {
		os.Exit(1)
	}
}
