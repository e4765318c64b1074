package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// journalPrefix names the journal entries Write keeps in Output.Journal.
const journalPrefix = ".fieldreg-writing-"

// createJournalled makes the temporary file of an output in dir, named by
// pattern with its "*" replaced by 16 random hex digits, owner-only and
// never an existing file, after noting its absolute path in a journal
// entry in journal (held, see holdEntry, while the output is written).
// done removes the temporary file, if still there, and the entry.
func createJournalled(dir, pattern, journal string) (*os.File, func(), error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, nil, err
	}
	id := hex.EncodeToString(rnd[:])
	abs, err := filepath.Abs(filepath.Join(dir, strings.Replace(pattern, "*", id, 1)))
	if err != nil {
		return nil, nil, err
	}
	entry, err := openEntry(filepath.Join(journal, journalPrefix+id), abs)
	if err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	drop := func() {
		os.Remove(entry.Name())
		entry.Close()
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return f, func() { os.Remove(abs); drop() }, nil
}

// openEntry writes a journal entry naming the temporary file tmp, synced,
// and returns it open and held while the output is written.
func openEntry(path, tmp string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	err = holdEntry(f)
	if err == nil {
		_, err = f.Write([]byte(tmp))
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// RemoveStale deletes the temporary output files that Write noted in
// journal (a data directory) and that a killed process left behind,
// wherever they were written (a USB stick), and their journal entries. It
// is careful: it deletes only a regular file, at the absolute path its own
// journal entry recorded, whose name is a hidden ".tmp" name carrying that
// entry's random ID; never a link, a directory or another name, and never
// the file of an output still being written by a live process. It returns
// how many files it deleted.
func RemoveStale(journal string) int {
	entries, _ := filepath.Glob(filepath.Join(journal, journalPrefix+"*"))
	n := 0
	for _, e := range entries {
		id := strings.TrimPrefix(filepath.Base(e), journalPrefix)
		b, err := os.ReadFile(e)
		if err != nil || len(b) > 4096 || !claimEntry(e) {
			continue // unreadable, or its output is still being written
		}
		p := string(b)
		base := filepath.Base(p)
		if _, err := hex.DecodeString(id); err != nil || len(id) != 16 || !filepath.IsAbs(p) ||
			!strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".tmp") || strings.Count(base, id) != 1 {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && os.Remove(p) == nil {
			n++
		}
	}
	return n
}
