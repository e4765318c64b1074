package device

import (
	"errors"
	"fmt"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// ErrImportedMeanwhile is returned by RegisterImport when one of its lines
// was saved by another import since ImportedAs looked: nothing of the batch
// was saved, and running the import again completes it.
var ErrImportedMeanwhile = store.ErrImportedMeanwhile

// ImportTokens returns the blind token of each import line identity (an
// operator's reference or the line's canonical content). A token is a keyed
// hash under a key derived from the master key and never leaves the device:
// without the key, the stored tokens tell nothing about the lines, not even
// whether a guessed person was imported.
func (s *Session) ImportTokens(idents []string) ([][]byte, error) {
	var x *blind.Indexer
	if err := s.withKeys(func(k *keys) error { x = blind.New(k.imports); return nil }); err != nil {
		return nil, err
	}
	toks := make([][]byte, len(idents))
	for i, id := range idents {
		toks[i] = x.Token("import line", id)
	}
	return toks, nil
}

// ImportedAs returns, for each import token, the registration an earlier
// import saved under it, or "" for a line not saved yet.
func (s *Session) ImportedAs(tokens [][]byte) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.d.st.Imported(tokens)
}

// RegisterImport is RegisterBatch for the lines of a bulk import: it also
// records each line's token (tokens[i] for people[i]) in the same durable
// transaction, so a registration and the mark that its line is saved exist
// together or not at all. A token already stored fails the whole batch with
// ErrImportedMeanwhile.
func (s *Session) RegisterImport(people []*registry.Person, tokens [][]byte) ([]string, error) {
	if len(people) == 0 {
		return nil, errors.New("nobody to register")
	}
	var ids []string
	err := s.RegisterImports([]ImportBatch{{People: people, Tokens: tokens}}, func(_ int, got []string, _ error) bool {
		ids = got
		return false
	})
	return ids, err
}

// ImportBatch is one durable commit of a bulk import: people and the
// tokens of their lines (Tokens[i] for People[i]).
type ImportBatch struct {
	People []*registry.Person
	Tokens [][]byte
}

// RegisterImports saves the batches of a bulk import in order, each as
// RegisterImport does (its registrations and its lines' tokens in one
// durable transaction), sealing and signing the next batch on every core
// while one is written. After each batch, saved is given its IDs or its
// error, in order, and says whether to go on. A batch with a person who
// does not validate (GroupError) is not saved; any other error (the disk,
// the database, ErrImportedMeanwhile) stops the import. An empty batch
// saves nothing. It returns the error that stopped it, else the first
// GroupError.
func (s *Session) RegisterImports(batches []ImportBatch, saved func(k int, ids []string, err error) bool) error {
	people := make([][]*registry.Person, len(batches))
	for k, b := range batches {
		if len(b.Tokens) != len(b.People) {
			return fmt.Errorf("%d import tokens for %d people", len(b.Tokens), len(b.People))
		}
		people[k] = b.People
	}
	meanwhile := func(err error) error {
		if errors.Is(err, store.ErrImportedMeanwhile) {
			return fmt.Errorf("%w: nothing of the batch was saved", err)
		}
		return err
	}
	err := s.registerBatches(people, func(k int, tx *store.Tx, ids []string) error {
		return tx.PutImports(batches[k].Tokens, ids)
	}, func(k int, ids []string, err error) bool {
		return saved(k, ids, meanwhile(err))
	})
	return meanwhile(err)
}

// ImportedGroup returns the group of a registration an earlier import saved
// ("" for none), so that a re-run puts the rest of a family with it. It
// decrypts nothing but the record's state and is not audit-logged: it shows
// nothing to the officer.
func (s *Session) ImportedGroup(id string) (string, error) {
	r, err := s.state(id)
	if err != nil {
		return "", err
	}
	return r.Person.Group, nil
}
