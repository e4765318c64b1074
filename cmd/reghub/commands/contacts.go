package commands

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/trust"
)

// runContacts shows the authority's notice contacts, or sets them from a
// JSON file (--set): signed by the authority, they reach every device at
// its next sync or bundle and are printed on the information notice.
func runContacts(args []string, stdout, stderr io.Writer) int {
	r := newRun("contacts", stdout, stderr)
	set := r.fs.String("set", "", "JSON file with controller, controller_contact, dpo, supervisor, supervisor_contact, legal_basis")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	var in trust.Contacts
	if *set != "" {
		b, err := safefile.ReadFile(*set, "the contacts file", trust.MaxContactsSize)
		if err != nil {
			return r.fail(err)
		}
		if in, err = trust.ParseContactsInput(b); err != nil {
			return r.fail(err)
		}
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	var cur *trust.Contacts
	if *set != "" {
		cur, err = h.SetContacts(ctx, in)
	} else {
		cur, err = h.Contacts(ctx)
	}
	if err != nil {
		return r.fail(err)
	}
	out, _ := json.MarshalIndent(cur.Input(), "", "  ")
	fmt.Fprintln(stdout, string(out))
	if *set != "" {
		fmt.Fprintln(stderr, "notice contacts signed; devices receive them at their next sync or bundle")
	}
	return 0
}
