package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
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
	Photo              []byte            `json:"photo"` // base64
	Notes              string            `json:"notes"`
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
	return &registry.Person{FamilyName: in.FamilyName, GivenNames: in.GivenNames, OriginalScriptName: in.OriginalScriptName,
		OriginalScriptLang: in.OriginalScriptLang, Aliases: in.Aliases, Nationalities: in.Nationalities, BirthDate: bd,
		PlaceOfBirth: in.PlaceOfBirth, Sex: in.Sex, Document: in.Document, Category: in.Category, Encounter: enc,
		Vulnerabilities: in.Vulnerabilities, Relationship: in.Relationship, Languages: in.Languages, Interpreter: in.Interpreter,
		InformationNotice: in.InformationNotice, Photo: in.Photo, Notes: in.Notes}, nil
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

type inputLine struct {
	n int
	p *registry.Person
}

func cmdRegister(env *Env, args []string) int {
	fs := flags(env, "register")
	var u unlockFlags
	u.register(fs)
	jsonFile := fs.String("json", "", "JSON file of people (one object, or one object per line); - reads standard input")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if *jsonFile == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "fieldreg register: --json FILE is required (- for standard input)")
		return 2
	}
	if passFromStdin := *jsonFile == "-" && u.passFile == ""; passFromStdin {
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
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	now := s.Device().Now()
	station := s.Device().Info().Station

	// One JSON object possibly spread over several lines, or JSON lines.
	var chunks [][]byte
	var lineNos []int
	if t := bytes.TrimSpace(raw); len(t) > 0 && json.Valid(t) {
		lead := raw[:len(raw)-len(bytes.TrimLeftFunc(raw, unicode.IsSpace))] // blank lines before the object
		chunks, lineNos = [][]byte{t}, []int{1 + bytes.Count(lead, []byte("\n"))}
	} else {
		for i, l := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				chunks = append(chunks, l)
				lineNos = append(lineNos, i+1)
			}
		}
	}
	failed := 0
	groups := map[string]string{}
	var good []inputLine
	for i, c := range chunks {
		in, err := decodeLine(c)
		var p *registry.Person
		if err == nil {
			p, err = in.person(now, station)
		}
		if err == nil {
			registry.Normalize(p)
			err = registry.Validate(p, now)
		}
		if err != nil {
			n := lineNos[i]
			if nu := (*notUTF8Error)(nil); errors.As(err, &nu) { // within one object spread over lines
				n += bytes.Count(c[:nu.offset], []byte("\n"))
			}
			fmt.Fprintf(env.Stderr, "line %d: %v\n", n, err)
			failed++
			continue
		}
		if in.Group != "" {
			g, ok := groups[in.Group]
			if !ok {
				if g, err = s.NewGroupID(); err != nil {
					return fail(env, err)
				}
				groups[in.Group] = g
			}
			p.Group = g
		}
		good = append(good, inputLine{lineNos[i], p})
	}
	saved := 0
	for start := 0; start < len(good); start += batchSize {
		end := min(start+batchSize, len(good))
		people := make([]*registry.Person, 0, end-start)
		for _, l := range good[start:end] {
			people = append(people, l.p)
		}
		ids, err := s.RegisterBatch(people)
		if err != nil {
			var ge *device.GroupError
			if errors.As(err, &ge) {
				fmt.Fprintf(env.Stderr, "line %d: %v\n", good[start+ge.Index].n, ge.Err)
			}
			fmt.Fprintf(env.Stderr, "fieldreg: lines %d to %d not saved: %v\n", good[start].n, good[end-1].n, err)
			failed += end - start
			continue
		}
		for _, id := range ids {
			fmt.Fprintln(env.Stdout, id)
		}
		saved += len(ids)
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "%d saved, %d failed\n", saved, failed)
		return 1
	}
	return 0
}
