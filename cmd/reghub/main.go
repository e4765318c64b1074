// Command reghub is the fieldreg hub: it enrols devices, receives their
// events and serves the national registry. It has no graphical interface.
//
// Usage:
//
//	reghub <command> [flags]
//
// Commands:
//
//	dedup   list pairs of records in a CSV file that are likely the same person
//	init    create the country authority, the hub's TLS certificate and its store
//	enrol   make an encrypted enrolment package for a device
//	revoke  revoke a device
//	serve   serve devices over HTTPS with mutual TLS
//	status  devices, last sync of each, events held, pending conflicts
//	version the version, the commit it was built from and the sync protocol
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/sync/hub/hubcmd"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// command is one reghub subcommand. run gets the arguments after the
// command name and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	m := map[string]command{
		"dedup": {"list pairs of records in a CSV file that are likely the same person", runDedup},
	}
	for name, c := range hubcmd.Commands() {
		m[name] = command{c.Summary, c.Run}
	}
	return m
}

func main() {
	// Everything the hub creates is owner-only, whatever the umask.
	safefile.RestrictUmask()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand. Unknown commands print usage and exit 2.
func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout, cmds)
		return 0
	case "version", "-version", "--version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "reghub: %s takes no arguments\n", args[0])
			return 2
		}
		fmt.Fprintln(stdout, "reghub", version.String(wire.Version))
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "reghub: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: reghub <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "version", "print the version, the commit it was built from and the sync protocol")
	fmt.Fprintln(w, "\nRun 'reghub <command> -h' for the flags of a command.")
}
