package commands

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runOperator manages the analysts' accounts of the web dashboard (reghub
// serve --dashboard). Like every command it unlocks the hub with
// --passphrase-file (the hub's passphrase: only HQ adds analysts); the new
// analyst's passphrase comes from --new-passphrase-file, as for `fieldreg
// officer add`, or is asked twice on the terminal.
func runOperator(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list" && args[0] != "remove") {
		fmt.Fprintln(stderr, "usage: reghub operator add|list|remove --data HUB [--passphrase-file F] [--name NAME] [--new-passphrase-file F]")
		return 2
	}
	sub := args[0]
	r := newRun("operator "+sub, stdout, stderr)
	name := r.fs.String("name", "", "the analyst's account name: letters, digits, . _ - @ (add, remove)")
	newPass := r.fs.String("new-passphrase-file", "", fmt.Sprintf("file holding the analyst's passphrase, at least %d bytes (add; asked on the terminal when absent)", hub.MinOperatorPassphrase))
	r.kdfFlag("Argon2id cost of the analyst's passphrase hash: default (64 MiB) or low (tests)")
	if rc := r.parse(args[1:], 0, ""); rc >= 0 {
		return rc
	}
	if sub != "list" && *name == "" {
		return r.usage("--name is required")
	}
	if sub == "add" {
		// Checked before the hub's passphrase is asked.
		if err := hub.ValidOperatorName(*name); err != nil {
			return r.fail(err)
		}
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	switch sub {
	case "add":
		pass, err := analystPassphrase(*newPass, *name, stderr)
		if err != nil {
			return r.fail(err)
		}
		defer clear(pass)
		if err := h.AddOperator(ctx, *name, pass); err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(stdout, "dashboard account %s added; it logs in at reghub serve --dashboard\n", *name)
	case "remove":
		if err := h.RemoveOperator(ctx, *name); err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(stdout, "dashboard account %s removed; its sessions end at their next request\n", *name)
	case "list":
		ops, err := h.Operators(ctx)
		if err != nil {
			return r.fail(err)
		}
		for _, o := range ops {
			state := ""
			if o.Altered {
				state = "  ALTERED outside reghub: grants nothing; remove it and add it again"
			}
			fmt.Fprintf(stdout, "%-32s added %s%s\n", o.Name, when(o.Created), state)
		}
		if len(ops) == 0 {
			fmt.Fprintln(stdout, "no dashboard accounts (reghub operator add --name NAME)")
		}
	}
	return 0
}

// analystPassphrase reads the new analyst's passphrase from file, or asks
// it twice on the terminal.
func analystPassphrase(file, name string, stderr io.Writer) ([]byte, error) {
	if file != "" {
		b, err := safefile.ReadFile(file, "the analyst's passphrase file", vault.MaxPassphraseFile)
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(b, "\r\n"), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("no terminal to ask the analyst's passphrase on: use --new-passphrase-file FILE")
	}
	fmt.Fprintf(stderr, "Passphrase for %s: ", name)
	a, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(stderr, "The same again: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	defer clear(b)
	if err != nil {
		clear(a)
		return nil, err
	}
	if !bytes.Equal(a, b) {
		clear(a)
		return nil, errors.New("the two passphrases differ: nothing was changed")
	}
	return a, nil
}
