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
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/internal/safefile"
	// Before Fyne reads the locale: a C.UTF-8 or sr_RS@latin locale is
	// silent (see the package).
	_ "github.com/fieldreg/fieldreg/internal/syslocale"
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
	lang := flag.String("lang", "", "language of the window for this run ("+strings.Join(i18n.Tags(), ", ")+"); default: the device's, then each officer's own")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fieldreg: %q after the flags: the window takes only --data and --lang (commands come first: fieldreg help)\n", flag.Arg(0))
		os.Exit(2)
	}
	if *lang != "" {
		if _, err := i18n.Lookup(*lang); err != nil {
			fmt.Fprintf(os.Stderr, "fieldreg: --lang: %v\n", err)
			os.Exit(2)
		}
	}
	if err := app.Run(*data, *lang); err != nil {
		os.Exit(1)
	}
}
