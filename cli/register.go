package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/registry"
)

// maxInput bounds what register reads (a photo is at most 2 MiB per line).
const maxInput = 1 << 30

// batchSize is how many registrations share one durable commit in a bulk import.
const batchSize = 5000

// inputPerson is the JSON accepted by `fieldreg register`. Unknown keys are
// refused, so a misspelt key is reported instead of silently dropped.
type inputPerson struct {
	FamilyName         string            `json:"family_name"`
	GivenNames         string            `json:"given_names"`
	OriginalScriptName string            `json:"original_script_name"`
	OriginalScriptLang string            `json:"original_script_lang"`
	Aliases            []string          `json:"aliases"`
	Sex                string            `json:"sex"`
	BirthDate          string            `json:"birth_date"`
	Age                *int              `json:"age"` // estimate the year of birth from a stated age
	Nationalities      []string          `json:"nationalities"`
	PlaceOfBirth       string            `json:"place_of_birth"`
	Document           registry.Document `json:"document"`
	Category           string            `json:"category"`
	Encounter          *inputEncounter   `json:"encounter"`
	Vulnerabilities    []string          `json:"vulnerabilities"`
	Relationship       string            `json:"relationship"`
	Group              string            `json:"group"` // lines with the same label form one family or group
	Languages          []string          `json:"languages"`
	Interpreter        bool              `json:"interpreter"`
	InformationNotice  bool              `json:"information_notice"`
	NoticeLang         string            `json:"notice_lang"` // the notice's language (ISO 639-3); the current version is recorded
	Photo              []byte            `json:"photo"`       // base64
	Notes              string            `json:"notes"`
	// Ref is the operator's reference of the line (a row number of the
	// source system, say): the line's identity in place of its content.
	Ref string `json:"ref,omitempty"`
}

// maxRef bounds an operator's reference.
const maxRef = 256

// identity is what makes two lines the same line of an import: the
// operator's reference if given, else the line's canonical content (its
// values re-encoded in a fixed key order and spacing, so that re-indenting
// or reordering keys does not make a saved line new).
func (in *inputPerson) identity() string {
	if in.Ref != "" {
		return "ref\x00" + in.Ref
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic(err) // decoded from JSON, it encodes
	}
	return "content\x00" + string(b)
}

type inputEncounter struct {
	Kind  string `json:"kind"`
	Place string `json:"place"`
	At    string `json:"at"` // RFC 3339; default now
}

func (in *inputPerson) person(now time.Time, station string) (*registry.Person, error) {
	bd, err := registry.ParseDate(in.BirthDate)
	if err != nil {
		return nil, registry.FieldErrors{"birth_date": "use YYYY-MM-DD, YYYY-MM or YYYY"}
	}
	if in.Age != nil {
		if !bd.IsZero() {
			return nil, registry.FieldErrors{"age": "give birth_date or age, not both"}
		}
		if bd, err = registry.EstimateFromAge(*in.Age, now); err != nil {
			return nil, registry.FieldErrors{"age": "must be between 0 and 120"}
		}
	}
	enc := registry.Encounter{Kind: "apprehension", Place: station, At: now}
	if in.Encounter != nil {
		if in.Encounter.Kind != "" {
			enc.Kind = in.Encounter.Kind
		}
		if in.Encounter.Place != "" {
			enc.Place = in.Encounter.Place
		}
		if in.Encounter.At != "" {
			t, err := time.Parse(time.RFC3339, in.Encounter.At)
			if err != nil {
				return nil, registry.FieldErrors{"encounter": "at must be an RFC 3339 time like 2026-11-27T08:30:00Z"}
			}
			enc.At = t
		}
	}
	var noticeVersion string
	if in.NoticeLang != "" {
		if noticeVersion, err = notice.Version(in.NoticeLang); err != nil {
			return nil, registry.FieldErrors{"notice_lang": "the notice is not written in that language (" + strings.Join(notice.Languages(), ", ") + ")"}
		}
	}
	return &registry.Person{FamilyName: in.FamilyName, GivenNames: in.GivenNames, OriginalScriptName: in.OriginalScriptName,
		OriginalScriptLang: in.OriginalScriptLang, Aliases: in.Aliases, Nationalities: in.Nationalities, BirthDate: bd,
		PlaceOfBirth: in.PlaceOfBirth, Sex: in.Sex, Document: in.Document, Category: in.Category, Encounter: enc,
		Vulnerabilities: in.Vulnerabilities, Relationship: in.Relationship, Languages: in.Languages, Interpreter: in.Interpreter,
		InformationNotice: in.InformationNotice, NoticeLang: in.NoticeLang, NoticeVersion: noticeVersion, Photo: in.Photo, Notes: in.Notes}, nil
}

// notUTF8Error refuses input that is not UTF-8 (a Latin-1 or cp1250
// export). encoding/json would read such bytes as U+FFFD without a word,
// and the name would be saved damaged. offset is the first bad byte's.
type notUTF8Error struct{ offset int }

func (e *notUTF8Error) Error() string {
	return "not valid UTF-8 (Latin-1 or a Windows code page?): save the file as UTF-8; the line was not saved"
}

// invalidUTF8 returns the offset of the first byte of b that is not part of
// valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// decodeLine parses one JSON object strictly. Bytes that are not UTF-8 are
// refused (notUTF8Error) before decoding.
func decodeLine(b []byte) (*inputPerson, error) {
	if off := invalidUTF8(b); off >= 0 {
		return nil, &notUTF8Error{off}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in inputPerson
	if err := dec.Decode(&in); err != nil {
		return nil, plainJSONError(err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	return &in, nil
}

// plainJSONError says what is wrong without quoting the input (it may hold
// personal data).
func plainJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("key %q has the wrong type (want %s)", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return fmt.Errorf("unknown key %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("incomplete JSON")
	}
	return errors.New("not valid JSON")
}

// inputLine is a good line of the input on its way to be saved.
type inputLine struct {
	n      int // line number
	p      *registry.Person
	group  string // the line's group label
	token  []byte // blind token of the line's identity
	id     string // its registration, once saved (by this run or an earlier one)
	sameAs int    // 1 + the index of an earlier line of this input with the same identity
}

func cmdRegister(env *Env, args []string) int {
	cmd, fs := newRun(env, "register")
	jsonFile := fs.String("json", "", "JSON file of people (one object, or one object per line); - reads standard input")
	if rc, stop := cmd.parse(args, func() bool { return *jsonFile == "" || fs.NArg() != 0 },
		"fieldreg register: --json FILE is required (- for standard input)"); stop {
		return rc
	}
	if passFromStdin := *jsonFile == "-" && cmd.u.passFile == ""; passFromStdin {
		return fail(env, errors.New("when people come on standard input, give the passphrase with --passphrase-file"))
	}
	var r io.Reader = env.Stdin
	if *jsonFile != "-" {
		f, err := os.Open(*jsonFile)
		if err != nil {
			return fail(env, fmt.Errorf("cannot open the JSON file: %w", err))
		}
		defer f.Close()
		r = f
	}
	raw, err := safefile.ReadAll(r, "the JSON input", maxInput)
	if err != nil {
		return fail(env, fmt.Errorf("%w (split it)", err))
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	now := s.Device().Now()
	station := s.Device().Info().Station

	// One JSON object possibly spread over several lines, or JSON lines.
	var chunks [][]byte
	var lineNos []int
	if t := bytes.TrimSpace(raw); len(t) > 0 && json.Valid(t) {
		lead := raw[:len(raw)-len(bytes.TrimLeftFunc(raw, unicode.IsSpace))] // blank lines before the object
		chunks, lineNos = [][]byte{t}, []int{1 + bytes.Count(lead, []byte("\n"))}
	} else {
		n := bytes.Count(raw, []byte("\n")) + 1
		chunks, lineNos = make([][]byte, 0, n), make([]int, 0, n)
		for i, l := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				chunks = append(chunks, l)
				lineNos = append(lineNos, i+1)
			}
		}
	}
	// Each line read, checked and given its identity, on every core.
	type checked struct {
		in    *inputPerson
		p     *registry.Person
		ident string
		err   error
	}
	lines := make([]checked, len(chunks))
	parallel(len(chunks), func(i int) {
		l := &lines[i]
		if l.in, l.err = decodeLine(chunks[i]); l.err == nil && len(l.in.Ref) > maxRef {
			l.err = fmt.Errorf("ref is longer than %d bytes", maxRef)
		}
		if l.err == nil {
			l.p, l.err = l.in.person(now, station)
		}
		if l.err == nil {
			registry.Normalize(l.p)
			l.err = registry.Validate(l.p, now)
		}
		if l.err == nil {
			l.ident = l.in.identity()
		}
	})
	failed := 0
	good := make([]inputLine, 0, len(lines))
	idents := make([]string, 0, len(lines))
	for i, l := range lines {
		if err := l.err; err != nil {
			n := lineNos[i]
			if nu := (*notUTF8Error)(nil); errors.As(err, &nu) { // within one object spread over lines
				n += bytes.Count(chunks[i][:nu.offset], []byte("\n"))
			}
			fmt.Fprintf(env.Stderr, "line %d: %v\n", n, err)
			failed++
			continue
		}
		good = append(good, inputLine{n: lineNos[i], p: l.p, group: l.in.Group})
		idents = append(idents, l.ident)
	}
	lines = nil
	if len(good) == 0 {
		if failed > 0 {
			fmt.Fprintf(env.Stderr, "0 saved, %d failed\n", failed)
			return 1
		}
		return 0
	}
	// Lines an earlier run saved (or repeated in this file) are not saved
	// again: their ID is printed as if saved, and said on standard error.
	tokens, err := s.ImportTokens(idents)
	if err != nil {
		return fail(env, err)
	}
	before, err := s.ImportedAs(tokens)
	if err != nil {
		return fail(env, err)
	}
	first := map[string]int{}
	for i := range good {
		good[i].token = tokens[i]
		good[i].id = before[i]
		if j, ok := first[string(tokens[i])]; ok && good[i].id == "" {
			good[i].sameAs = j + 1
		} else if !ok {
			first[string(tokens[i])] = i
		}
	}
	// A group label keeps the group of its members saved by an earlier run,
	// so a family split by the interruption is whole again.
	groups := map[string]string{}
	for _, l := range good {
		if l.id != "" && l.group != "" && groups[l.group] == "" {
			g, err := s.ImportedGroup(l.id)
			if err != nil {
				return fail(env, err)
			}
			groups[l.group] = g
		}
	}
	for i := range good {
		label := good[i].group
		if label == "" {
			continue
		}
		g, ok := groups[label]
		if !ok || g == "" {
			if g, err = s.NewGroupID(); err != nil {
				return fail(env, err)
			}
			groups[label] = g
		}
		good[i].p.Group = g
	}
	saved, again := 0, 0
	batch := batchSize
	if env.BatchSize > 0 {
		batch = env.BatchSize
	}
	// Windows of up to batch new lines, with the lines already saved
	// between them: printed in input order once the window's batch commits.
	type window struct {
		start, end int
		at         []int // the lines of the batch
	}
	var windows []window
	var batches []device.ImportBatch
	for start := 0; start < len(good); {
		w := window{start: start, end: start}
		var b device.ImportBatch
		for w.end < len(good) && len(w.at) < batch {
			if l := &good[w.end]; l.id == "" && l.sameAs == 0 {
				b.People = append(b.People, l.p)
				b.Tokens = append(b.Tokens, l.token)
				w.at = append(w.at, w.end)
			}
			w.end++
		}
		windows = append(windows, w)
		batches = append(batches, b)
		start = w.end
	}
	// The next batch is sealed and signed while one is written.
	told := false // whether a batch's failure was reported
	err = s.RegisterImports(batches, func(k int, ids []string, err error) bool {
		w := windows[k]
		stop := false
		told = told || err != nil
		if err == nil {
			for j, i := range w.at {
				good[i].id = ids[j]
			}
			saved += len(ids)
		} else {
			var ge *device.GroupError
			if errors.As(err, &ge) {
				fmt.Fprintf(env.Stderr, "line %d: %v\n", good[w.at[ge.Index]].n, ge.Err)
			}
			fmt.Fprintf(env.Stderr, "fieldreg: lines %d to %d not saved: %v\n", good[w.at[0]].n, good[w.at[len(w.at)-1]].n, err)
			failed += len(w.at)
			if ge == nil { // the disk or the database, not a line: stop here
				for _, l := range good[w.end:] {
					if l.id == "" && l.sameAs == 0 {
						failed++
					}
				}
				fmt.Fprintf(env.Stderr, "fieldreg: the lines after line %d were not tried; run the import again to complete it\n", good[w.end-1].n)
				stop = true
			}
		}
		last := w.end
		if stop { // the lines already saved after it are still printed
			last = len(good)
		}
		for i := w.start; i < last; i++ {
			l := &good[i]
			switch {
			case l.sameAs != 0 && good[l.sameAs-1].id != "":
				l.id = good[l.sameAs-1].id
				fmt.Fprintf(env.Stderr, "line %d: same as line %d, already registered as %s\n", l.n, good[l.sameAs-1].n, l.id)
				again++
			case l.sameAs != 0: // its first line was not saved
				failed++
				continue
			case before[i] != "":
				fmt.Fprintf(env.Stderr, "line %d: already registered as %s\n", l.n, l.id)
				again++
			case l.id == "":
				continue
			}
			fmt.Fprintln(env.Stdout, l.id)
		}
		return !stop
	})
	if err != nil && !told { // before any batch: the session, the device
		return fail(env, fmt.Errorf("nothing was saved: %w", err))
	}
	if again > 0 {
		fmt.Fprintf(env.Stderr, "%d saved, %d already registered\n", saved, again)
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "%d saved, %d failed\n", saved, failed)
		return 1
	}
	return 0
}

// parallel calls fn(i) for every i below n, on every core.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	workers := min(runtime.NumCPU(), 1+n/64)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
