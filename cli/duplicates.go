package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/registry"
)

// cmdDuplicates lists likely duplicates already stored, for a supervisor.
func cmdDuplicates(env *Env, args []string) int {
	cmd, fs := newRun(env, "duplicates")
	limit := fs.Int("limit", 100, "at most this many pairs (0: all)")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if rc, stop := cmd.parse(args, nil, ""); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	pairs, err := s.LikelyDuplicates(*limit, nil)
	if err != nil {
		return fail(env, err)
	}
	enc := json.NewEncoder(env.Stdout)
	for _, p := range pairs {
		if *asJSON {
			_ = enc.Encode(map[string]any{"id_a": p.A.ID, "id_b": p.B.ID, "score": p.Score, "reasons": jsonReasons(p.Reasons)})
			continue
		}
		var why []string
		for _, r := range p.Reasons {
			mark := "≠"
			if r.Agree {
				mark = "="
			}
			why = append(why, mark+" "+r.Field)
		}
		fmt.Fprintf(env.Stdout, "%s  %s  %.2f  %s\n", p.A.ID, p.B.ID, p.Score, strings.Join(why, ", "))
	}
	if len(pairs) == 0 && !*asJSON {
		fmt.Fprintln(env.Stderr, "no undecided likely duplicates")
	}
	return 0
}

// jsonReason is a reason as --json has always printed it: the field, whether
// it agrees, and the finding in English words.
type jsonReason struct {
	Field  string
	Agree  bool
	Detail string
}

func jsonReasons(rs []match.Reason) []jsonReason {
	out := make([]jsonReason, len(rs))
	for i, r := range rs {
		out[i] = jsonReason{Field: r.Field, Agree: r.Agree, Detail: r.Detail()}
	}
	return out
}

// cmdLink records an officer's decision about two registrations.
func cmdLink(env *Env, args []string) int {
	cmd, fs := newRun(env, "link")
	same := fs.Bool("same", false, "the two registrations are the same person")
	different := fs.Bool("different", false, "the two registrations are different people")
	note := fs.String("note", "", "why (no personal data needed)")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 2 || *same == *different },
		"usage: fieldreg link --data DIR --passphrase-file FILE (--same | --different) [--note TEXT] ID OTHER_ID"); stop {
		return rc
	}
	a, err := registry.ParseRegID(fs.Arg(0))
	if err != nil {
		return fail(env, err)
	}
	b, err := registry.ParseRegID(fs.Arg(1))
	if err != nil {
		return fail(env, err)
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	if err := s.Link(a, b, *same, *note); err != nil {
		return fail(env, err)
	}
	word := "different people"
	if *same {
		word = "the same person"
	}
	fmt.Fprintf(env.Stdout, "%s and %s recorded as %s\n", a, b, word)
	return 0
}
