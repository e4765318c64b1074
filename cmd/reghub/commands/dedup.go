package commands

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/match"
)

// dedupColumns is the input header of reghub dedup (any order).
var dedupColumns = []string{"id", "family_name", "given_names", "sex", "birth_date", "nationality", "document_number"}

// Limits on the input of reghub dedup.
const (
	maxRecords    = 5_000_000
	maxIDBytes    = 128
	maxInputBytes = 2 << 30  // refused while reading, past 5 million rows of about 400 bytes
	maxLineBytes  = 64 << 10 // seven fields of at most 512 bytes, quoted, fit many times over
)

func runDedup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dedup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "CSV file of people (`path`), with header "+strings.Join(dedupColumns, ","))
	threshold := fs.Float64("threshold", match.DefaultThreshold, "lowest score reported, in [0,1]")
	workers := fs.Int("workers", runtime.NumCPU(), "goroutines comparing records")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: reghub dedup --in people.csv [--threshold T]")
		fmt.Fprintln(stderr, "\nWrites CSV id_a,id_b,score: the pairs of records judged the same person.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *in == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *threshold < 0 || *threshold > 1 {
		fmt.Fprintln(stderr, "reghub dedup: --threshold must be between 0 and 1")
		fs.Usage()
		return 2
	}
	if err := dedup(*in, *threshold, *workers, stdout); err != nil {
		fmt.Fprintf(stderr, "reghub dedup: %v\n", err)
		return 1
	}
	return 0
}

// dedup reads people from path and writes the likely duplicate pairs.
func dedup(path string, threshold float64, workers int, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	records, err := readPeople(&lineLimit{r: safefile.Limit(f, "the CSV file", maxInputBytes), max: maxLineBytes})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	x := match.NewIndex()
	for _, r := range records {
		x.Add(r)
	}
	bw := bufio.NewWriter(out)
	w := csv.NewWriter(bw)
	if err := w.Write([]string{"id_a", "id_b", "score"}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	for _, p := range x.Duplicates(threshold, workers) {
		if err := w.Write([]string{p.A.ID, p.B.ID, strconv.FormatFloat(p.Score, 'f', 4, 64)}); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// inputError locates a bad field by line and column, never by its value:
// the values are personal data and must not reach logs.
type inputError struct {
	line   int
	column string
	msg    string
}

func (e *inputError) Error() string {
	if e.column == "" {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.line, e.column, e.msg)
}

// readPeople parses the dedup CSV. It refuses, with the line and column,
// a missing or duplicate column, a row of the wrong width, an empty or
// repeated id, a malformed date, sex or nationality, and fields over the
// package limits.
func readPeople(r io.Reader) ([]match.Record, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &inputError{line: 1, msg: "empty file, expected a header line"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := col[h]; dup {
			return nil, &inputError{line: 1, column: strconv.Quote(h), msg: "column appears twice"}
		}
		col[h] = i
	}
	for _, c := range dedupColumns {
		if _, ok := col[c]; !ok {
			return nil, &inputError{line: 1, msg: "missing column " + c + " (header must be " + strings.Join(dedupColumns, ",") + ")"}
		}
	}
	seen := map[string]int{}
	var out []match.Record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(out) >= maxRecords {
			return nil, &inputError{line: line, msg: fmt.Sprintf("more than %d records", maxRecords)}
		}
		get := func(c string) string { return row[col[c]] }
		for _, c := range dedupColumns {
			// Go would read invalid bytes as U+FFFD and match nothing;
			// a Latin-1 or cp1250 export is refused instead.
			if !utf8.ValidString(get(c)) {
				return nil, &inputError{line: line, column: c, msg: "not valid UTF-8: save the file as UTF-8"}
			}
			if len(get(c)) > match.MaxFieldBytes {
				return nil, &inputError{line: line, column: c, msg: fmt.Sprintf("longer than %d bytes", match.MaxFieldBytes)}
			}
		}
		id := strings.TrimSpace(get("id"))
		switch {
		case id == "":
			return nil, &inputError{line: line, column: "id", msg: "empty"}
		case len(id) > maxIDBytes:
			return nil, &inputError{line: line, column: "id", msg: fmt.Sprintf("longer than %d bytes", maxIDBytes)}
		case seen[id] != 0:
			return nil, &inputError{line: line, column: "id", msg: fmt.Sprintf("same id as line %d", seen[id])}
		}
		seen[id] = line
		rec := match.Record{
			ID:             id,
			FamilyName:     get("family_name"),
			GivenNames:     get("given_names"),
			Sex:            strings.ToUpper(strings.TrimSpace(get("sex"))),
			BirthDate:      strings.TrimSpace(get("birth_date")),
			DocumentNumber: get("document_number"),
		}
		switch rec.Sex {
		case "", "M", "F", "X":
		default:
			return nil, &inputError{line: line, column: "sex", msg: "use M, F, X or leave empty"}
		}
		if !match.ValidBirthDate(rec.BirthDate) {
			return nil, &inputError{line: line, column: "birth_date", msg: "not a date (use YYYY-MM-DD, YYYY-MM, YYYY or leave empty)"}
		}
		for _, n := range strings.FieldsFunc(get("nationality"), func(r rune) bool { return r == ';' || r == ' ' }) {
			if !isCountryCode(n) {
				return nil, &inputError{line: line, column: "nationality", msg: "use three-letter ISO 3166 or ICAO codes, separated by ;"}
			}
			rec.Nationalities = append(rec.Nationalities, strings.ToUpper(n))
		}
		out = append(out, rec)
	}
	return out, nil
}

// lineLimit fails once a line runs longer than max bytes: the CSV reader
// holds a whole line before it can check its fields, and a file with no
// line break (/dev/zero, a disk image) would otherwise fill memory.
type lineLimit struct {
	r         io.Reader
	max, run  int
	line      int // line breaks read
	exhausted error
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.exhausted != nil {
		return 0, l.exhausted
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.run = 0
			l.line++
			continue
		}
		if l.run++; l.run > l.max {
			l.exhausted = &inputError{line: l.line + 1, msg: fmt.Sprintf("line longer than %d bytes: is it the right file?", l.max)}
			return i, l.exhausted
		}
	}
	return n, err
}

func isCountryCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// csvError turns a csv.ParseError, whose message carries no field value,
// into an inputError; other errors are wrapped as they are.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &inputError{line: pe.Line, msg: fmt.Sprintf("malformed CSV at field %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("read: %w", err)
}
