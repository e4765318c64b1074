// Command reghub is the fieldreg hub: it enrols devices, receives their
// events and serves the national registry, or the regional joint database.
// It has no graphical interface. Its commands are in package commands
// (one table); `reghub help` lists them all.
//
// Usage:
//
//	reghub <command> [flags]
package main

import (
	"os"

	"github.com/fieldreg/fieldreg/cmd/reghub/commands"
	"github.com/fieldreg/fieldreg/internal/safefile"
)

func main() {
	// Everything the hub creates is owner-only, whatever the umask.
	safefile.RestrictUmask()
	os.Exit(commands.Main(os.Args[1:], os.Stdout, os.Stderr))
}
