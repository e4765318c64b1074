// Command fieldreg is the offline-first registration app: without arguments
// (or with --data DIR) it opens the Fyne window; with a subcommand it runs
// the headless command line.
package main

import (
	"flag"
	"os"

	"github.com/fieldreg/fieldreg/app"
	"github.com/fieldreg/fieldreg/cli"
	"github.com/fieldreg/fieldreg/device"
)

func main() {
	if len(os.Args) > 1 && cli.IsCommand(os.Args[1]) {
		os.Exit(cli.Run(&cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
	}
	withFyneCache()
	data := flag.String("data", device.DefaultDir(), "data directory of this device")
	flag.Parse()
	if err := app.Run(*data); err != nil {
		os.Exit(1)
	}
}
