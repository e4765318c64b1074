package commands

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/match/synth"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const header = "id,family_name,given_names,sex,birth_date,nationality,document_number\n"

// The people here are invented for the test.
const people = header +
	"T1,Testperson,Mohammed Exampleson,M,1990-05-14,SYR,N1234567\n" +
	"T2,TESTPERSON,MUHAMMAD,M,1990-05-14,SYR,\n" +
	"T3,Al-Testperson,Mohamed,M,1990,,\n" +
	"T4,Otherfamily,Fatima,F,1975-02-02,AFG,\n" +
	"T5,Unrelated,Quentin,M,1950-11-30,XXX,\n"

func TestDedup(t *testing.T) {
	in := writeFile(t, "people.csv", people)
	var out, errb bytes.Buffer
	code := Main([]string{"dedup", "--in", in}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	text := out.String()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "id_a,id_b,score" {
		t.Fatalf("header %q", got)
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		got[r[0]+"-"+r[1]] = true
	}
	for _, want := range []string{"T1-T2", "T2-T3"} {
		if !got[want] {
			t.Errorf("pair %s not reported; output:\n%s", want, text)
		}
	}
	for p := range got {
		if strings.Contains(p, "T4") || strings.Contains(p, "T5") {
			t.Errorf("unexpected pair %s", p)
		}
	}
}

func TestDedupThreshold(t *testing.T) {
	in := writeFile(t, "people.csv", people)
	var out, errb bytes.Buffer
	if code := Main([]string{"dedup", "--in", in, "--threshold", "1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("threshold 1 should leave only the header, got %q", out.String())
	}
}

func TestDedupBadInput(t *testing.T) {
	secret := "Secretname"
	tests := []struct {
		name, csv, want string
	}{
		{"empty", "", "line 1: empty file"},
		{"missing column", "id,family_name\nX1,A\n", "missing column given_names"},
		{"bad date", header + "X1," + secret + ",Ali,M,1990-1x-01,SYR,\n", "line 2, column birth_date"},
		{"date format", header + "X1," + secret + ",Ali,M,14.05.1990,SYR,\n", "line 2, column birth_date"},
		{"bad sex", header + "X1,A,B,male-ish,1990,SYR,\n", "line 2, column sex"},
		{"bad nationality", header + "X1,A,B,M,1990,Syria,\n", "line 2, column nationality"},
		{"empty id", header + ",A,B,M,1990,SYR,\n", "line 2, column id: empty"},
		{"duplicate id", header + "X1,A,B,M,1990,SYR,\nX1,C,D,F,1991,SYR,\n", "line 3, column id: same id as line 2"},
		{"wrong width", header + "X1," + secret + ",B\n", "line 2"},
		{"bad quote", header + "X1,\"" + secret + ",B,M,1990,SYR,\n", "malformed CSV"},
		{"too long", header + "X1," + strings.Repeat("a", match.MaxFieldBytes+1) + ",B,M,1990,SYR,\n", "column family_name: longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := writeFile(t, "people.csv", tt.csv)
			var out, errb bytes.Buffer
			code := Main([]string{"dedup", "--in", in}, &out, &errb)
			if code == 0 {
				t.Fatalf("exit 0 for bad input; stdout %q", out.String())
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tt.want)
			}
			if strings.Contains(errb.String(), secret) {
				t.Errorf("stderr leaks a field value: %q", errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty on error: %q", out.String())
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"dedup"}, 2},
		{[]string{"dedup", "--in", "x.csv", "--threshold", "2"}, 2},
		{[]string{"dedup", "--in", filepath.Join(t.TempDir(), "absent.csv")}, 1},
		{[]string{"help"}, 0},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := Main(tt.args, &out, &errb); code != tt.code {
			t.Errorf("Main(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errb.String())
		}
		if tt.code == 2 && !strings.Contains(errb.String(), "usage:") {
			t.Errorf("Main(%q): no usage on stderr: %q", tt.args, errb.String())
		}
	}
}

// writeSynthetic writes n synthetic people as dedup CSV.
func writeSynthetic(t testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(strings.Split(strings.TrimSpace(header), ","))
	for _, r := range synth.Records(n, 0.3, 3) {
		w.Write([]string{r.ID, r.FamilyName, r.GivenNames, r.Sex, r.BirthDate, strings.Join(r.Nationalities, ";"), r.DocumentNumber})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteSynthetic writes a synthetic input for timing the binary by hand:
// FIELDREG_SYNTH_OUT=/tmp/people100k.csv FIELDREG_SYNTH_N=100000 go test -run TestWriteSynthetic
func TestWriteSynthetic(t *testing.T) {
	out := os.Getenv("FIELDREG_SYNTH_OUT")
	if out == "" {
		t.Skip("set FIELDREG_SYNTH_OUT")
	}
	n := 100_000
	if s := os.Getenv("FIELDREG_SYNTH_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	writeSynthetic(t, out, n)
}

// BenchmarkDedup100k runs reghub dedup, CSV in and out, over 100,000
// synthetic records.
func BenchmarkDedup100k(b *testing.B) {
	in := filepath.Join(b.TempDir(), "people.csv")
	writeSynthetic(b, in, 100_000)
	for b.Loop() {
		var out bytes.Buffer
		if err := dedup(in, match.DefaultThreshold, 2, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReadPeople feeds arbitrary bytes to the CSV reader: it must return
// records or an error, never panic, and never echo a field in the error.
func FuzzReadPeople(f *testing.F) {
	f.Add([]byte(people))
	f.Add([]byte(header + "X1,\"quoted, name\",B,F,1990-02-29,AAA;BBB,\n"))
	f.Add([]byte("id\n\"unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := readPeople(bytes.NewReader(data))
		if err != nil {
			if recs != nil {
				t.Fatal("records returned with an error")
			}
			return
		}
		for _, r := range recs {
			if r.ID == "" || !match.ValidBirthDate(r.BirthDate) {
				t.Fatalf("accepted a bad record %+v", r)
			}
			for _, v := range []string{r.ID, r.FamilyName, r.GivenNames, r.DocumentNumber} {
				if !utf8.ValidString(v) {
					t.Fatalf("accepted text that is not UTF-8: %q", v)
				}
			}
		}
	})
}

// TestAttackDedupNotUTF8: a people CSV exported as Latin-1 or cp1250 was
// read with U+FFFD in place of letters, so its names matched nothing. It
// is refused with the line and column, never the value.
func TestAttackDedupNotUTF8(t *testing.T) {
	for _, row := range []string{"T9,M\xfcllerfake,Testee,M,1990,,\n", "T9,Fakeperson,Jos\xe9fake,M,1990,,\n", "T9,Dvo\x9a\xe1kfake,Testee,M,1990,,\n"} {
		in := writeFile(t, "latin1.csv", people+row)
		var out, errb bytes.Buffer
		code := Main([]string{"dedup", "--in", in}, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "line 7, column ") || !strings.Contains(errb.String(), "not valid UTF-8") || strings.Contains(errb.String(), "fake") {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
	}
}

// TestAttackDedupEndlessLine: a file without line breaks (/dev/zero, an
// image) is refused after maxLineBytes, not held whole.
func TestAttackDedupEndlessLine(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"dedup", "--in", "/dev/zero"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 1: line longer than 65536 bytes") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	// A long line after good ones is named by its number.
	in := writeFile(t, "long.csv", people+"T9,"+strings.Repeat("a", maxLineBytes)+",x,M,,,\n")
	errb.Reset()
	if code := Main([]string{"dedup", "--in", in}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 7: line longer") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
