package device

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fieldreg/fieldreg/registry"
)

// encodings returns the byte forms a marker could leak in.
func encodings(marker string) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range []string{marker, strings.ToLower(marker), strings.ToUpper(marker), FoldText(marker)} {
		out["utf8:"+m] = []byte(m)
		u := utf16.Encode([]rune(m))
		le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
		for i, c := range u {
			le[2*i], le[2*i+1] = byte(c), byte(c>>8)
			be[2*i], be[2*i+1] = byte(c>>8), byte(c)
		}
		out["utf16le:"+m], out["utf16be:"+m] = le, be
	}
	return out
}

// TestNoPlaintextAtRest registers a person whose every personal field is a
// unique marker, closes the device, and scans every byte of the data
// directory (database, WAL, shared memory, anything else) for the markers.
func TestNoPlaintextAtRest(t *testing.T) {
	d, _ := newTestDevice(t)
	dir := d.Dir()
	s := unlock(t, d)
	markers := []string{"Qxmarkfamily", "Qxmarkgiven", "Qxmarkalias", "Qxmarkbirthplace", "QXMARKDOC77", "Qxmarknotes", "Qxmarkplace", "مرقسقس", "Кхмарк"}
	p := testPerson(markers[0], markers[1])
	p.Aliases = []string{markers[2]}
	p.PlaceOfBirth = markers[3]
	p.Document = registry.Document{Type: "passport", Number: markers[4], IssuingCountry: "AFG"}
	p.Notes = markers[5]
	p.Encounter.Place = markers[6]
	p.OriginalScriptName = markers[7] + " " + markers[8]
	p.OriginalScriptLang = "ara"
	p.Vulnerabilities = []string{registry.VulnTrafficking}
	id, err := s.Register(p)
	if err != nil {
		t.Fatal(err)
	}
	p2 := *p
	p2.Notes = markers[5] + " amended"
	if err := s.Amend(id, &p2, "test amendment"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Search(Query{Text: markers[0]}); err != nil {
		t.Fatal(err)
	}
	// Scan while open too (WAL not yet checkpointed), then after close.
	scan := func(when string) {
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range markers {
				for enc, needle := range encodings(m) {
					if bytes.Contains(b, needle) {
						t.Errorf("%s: marker %d found in %s as %s", when, indexOf(markers, m), filepath.Base(path), strings.SplitN(enc, ":", 2)[0])
					}
				}
			}
			for _, plain := range []string{registry.VulnTrafficking, "international_protection"} {
				if bytes.Contains(b, []byte(plain)) {
					t.Errorf("%s: sensitive code %q in plaintext in %s", when, plain, filepath.Base(path))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scan("open")
	s.Lock()
	d.Close()
	scan("closed")
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}
