// Package commands is reghub's command line: every command in one table
// (Commands), dispatched by Main. cmd/reghub is its main package; the
// end-to-end tests run Main in child processes (internal/proctest).
package commands

import (
	"fmt"
	"io"
	"sort"

	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Command is one subcommand: it gets the arguments after its name and
// returns the exit status (0 success, 1 failure, 2 usage).
type Command struct {
	Summary string
	Run     func(args []string, stdout, stderr io.Writer) int
}

// Commands are every reghub command by name.
func Commands() map[string]Command {
	return map[string]Command{
		"init":          {"create the country authority, the hub's TLS certificate and its store (SQLite in --data, or PostgreSQL with --db)", runInit},
		"enrol":         {"make an encrypted enrolment package for a device; prints its one-time code", runEnrol},
		"revoke":        {"revoke a device: refused from now on, named in the revocation list", runRevoke},
		"serve":         {"serve devices over HTTPS with mutual TLS", runServe},
		"status":        {"devices, last sync of each, events held, pending conflicts", runStatus},
		"bundle":        {"bundle import|export: USB bundles for devices without a network", runBundle},
		"enrol-country": {"regional hub: admit a country hub; writes its federation package and prints its code", runEnrolCountry},
		"federate":      {"country hub: join the region (--join FILE --code CODE) and/or push index entries upstream (--push)", runFederate},
		"export":        {"write the country's records for a national access point (--format eurodac)", runExport},
		"migrate":       {"copy a hub from its SQLite file into PostgreSQL (--to postgres://...) and switch it over; stop reghub serve first", runMigrate},
		"centre":        {"centre add|set|list: the reception centres, their beds per section, and the country's capacity view", runCentre},
		"retention":     {"show the retention rules and the records due, --set CATEGORY=PERIOD to change them (signed; devices get them by sync and bundles), --sweep to erase what is due now", runRetention},
		"erase":         {"erase a record on HQ's order (--reason); the erasure reaches the region at the next push", runErase},
		"contacts":      {"show the notice contacts (controller, DPO, supervisory authority) devices print, or --set them from a JSON file", runContacts},
		"recovery-key":  {"write the authority's recovery key to a new file, for fieldreg recover on a device whose officers are all locked out", runRecoveryKey},
		"operator":      {"operator add|list|remove: the analysts' accounts of the web dashboard (serve --dashboard)", runOperator},
		"report":        {"write the PDF statistics report of a period (--from DAY --to DAY --out FILE.pdf) for the ministry; small counts shown as \"<5\"", runReport},
		"stats":         {"the figures of a period (--from, --to, --by day|week|month, --format json|csv): exact at a country hub, \"<5\" suppressed at a region or with --suppress", runStats},
		"dedup":         {"list pairs of records in a CSV file that are likely the same person", runDedup},
	}
}

// Main runs the command args name and returns the process exit status.
// No command, or an unknown one, prints the usage and returns 2; help
// prints it and returns 0.
func Main(args []string, stdout, stderr io.Writer) int {
	cmds := Commands()
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
	return c.Run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]Command) {
	fmt.Fprintln(w, "usage: reghub <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	width := 0
	for n := range cmds {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, cmds[n].Summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "version", "print the version, the commit it was built from and the sync protocol")
	fmt.Fprintln(w, "\nRun 'reghub <command> -h' for the flags of a command.")
}
