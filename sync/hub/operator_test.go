package hub

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/fieldreg/fieldreg/sync/hubstore"
)

func TestOperatorAccounts(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	pw := []byte("analyst passphrase one")
	if err := h.AddOperator(ctx, "ana.analyst@mup.example", pw); err != nil {
		t.Fatal(err)
	}
	if err := h.AddOperator(ctx, "ana.analyst@mup.example", pw); !errors.Is(err, ErrOperatorExists) {
		t.Fatalf("the same name twice: %v", err)
	}
	stamp, err := h.CheckOperator(ctx, "ana.analyst@mup.example", pw)
	if err != nil || len(stamp) != 16 {
		t.Fatalf("right passphrase: %x, %v", stamp, err)
	}
	for _, c := range []struct{ name, pass string }{
		{"ana.analyst@mup.example", "analyst passphrase two"},
		{"nobody", "analyst passphrase one"},
		{"", ""},
	} {
		if _, err := h.CheckOperator(ctx, c.name, []byte(c.pass)); !errors.Is(err, ErrLogin) {
			t.Errorf("log-in %q: %v, want ErrLogin", c.name, err)
		}
	}
	if s, err := h.OperatorStamp(ctx, "ana.analyst@mup.example"); err != nil || !bytes.Equal(s, stamp) {
		t.Fatalf("stamp %x, %v", s, err)
	}
	// Removed and added again: a new stamp, so the old sessions end.
	if err := h.RemoveOperator(ctx, "ana.analyst@mup.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.OperatorStamp(ctx, "ana.analyst@mup.example"); !errors.Is(err, ErrLogin) {
		t.Fatalf("removed account's stamp: %v", err)
	}
	if err := h.RemoveOperator(ctx, "ana.analyst@mup.example"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if err := h.AddOperator(ctx, "ana.analyst@mup.example", pw); err != nil {
		t.Fatal(err)
	}
	if s, _ := h.OperatorStamp(ctx, "ana.analyst@mup.example"); bytes.Equal(s, stamp) {
		t.Fatal("the stamp did not change with the account")
	}
	ops, err := h.Operators(ctx)
	if err != nil || len(ops) != 1 || ops[0].Name != "ana.analyst@mup.example" || ops[0].Altered {
		t.Fatalf("accounts = %+v, %v", ops, err)
	}
}

// Bad names and passphrases are refused and nothing is stored.
func TestOperatorBadInput(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	for _, c := range []struct{ name, pass string }{
		{"", "long enough passphrase"},
		{"has space", "long enough passphrase"},
		{"<script>", "long enough passphrase"},
		{string(bytes.Repeat([]byte("a"), MaxOperatorName+1)), "long enough passphrase"},
		{"short-pass", "too short"},
	} {
		if err := h.AddOperator(ctx, c.name, []byte(c.pass)); err == nil {
			t.Errorf("%q accepted", c.name)
		}
	}
	if ops, _ := h.Operators(ctx); len(ops) != 0 {
		t.Fatalf("stored: %+v", ops)
	}
}

// TestAttackOperatorRowForged: someone who can write to the hub's
// database but holds no hub keys inserts an account with a hash of a
// passphrase they chose, or copies one account's hash to another name.
// Neither logs in.
func TestAttackOperatorRowForged(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	pw := []byte("analyst passphrase one")
	if err := h.AddOperator(ctx, "real", pw); err != nil {
		t.Fatal(err)
	}
	real, err := h.Store().Operator(ctx, "real")
	if err != nil {
		t.Fatal(err)
	}
	err = h.Store().Update(ctx, func(tx hubstore.Tx) error {
		return tx.PutOperator(hubstore.OperatorRow{Name: "intruder", Secret: real.Secret, Created: real.Created})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.CheckOperator(ctx, "intruder", pw); !errors.Is(err, ErrLogin) {
		t.Fatalf("a copied row logs in: %v", err)
	}
	ops, _ := h.Operators(ctx)
	if len(ops) != 2 || !ops[0].Altered || ops[1].Altered {
		t.Fatalf("accounts = %+v: the copied row must be marked altered", ops)
	}
}
