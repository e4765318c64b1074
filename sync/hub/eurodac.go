package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// EurodacFormat names the export structure (docs/federation.md documents
// every field and its source).
const EurodacFormat = "fieldreg-eurodac-export-v1"

// EurodacDocument is an identity or travel document: type, number, the
// three-letter code of the issuing country and the expiry date
// (Regulation (EU) 2024/1358, Art. 17(1)(i), 22(2)(i), 24(3)(a), 26(2)(i)).
type EurodacDocument struct {
	Type           string `json:"type,omitempty"`
	Number         string `json:"number,omitempty"`
	IssuingCountry string `json:"issuing_country,omitempty"`
	Expiry         string `json:"expiry,omitempty"`
}

// EurodacRecord is one person as the export writes it. Field names follow
// the data sets of Regulation (EU) 2024/1358: Art. 17(1) (applicants for
// international protection), 22(2) (apprehended in connection with an
// irregular crossing), 23(2) (illegally staying), 24(2) (disembarked after
// search and rescue) and 26(2) (temporary protection); DataSet names the
// one that applies. docs/federation.md maps every field to its point and
// lists the points fieldreg cannot supply (fingerprints, document scans).
type EurodacRecord struct {
	ReferenceNumber         string           `json:"reference_number"`
	MemberStateOfOrigin     string           `json:"member_state_of_origin"`
	Category                string           `json:"category"`
	DataSet                 string           `json:"eurodac_data_set,omitempty"` // e.g. "Art. 17(1)"
	EncounterKind           string           `json:"encounter_kind,omitempty"`   // apprehension, application, disembarkation, check
	PlaceOfEncounter        string           `json:"place_of_application_or_apprehension,omitempty"`
	DateOfEncounter         string           `json:"date_of_application_or_apprehension,omitempty"`
	Station                 string           `json:"station,omitempty"`
	DateOfRegistration      string           `json:"date_of_registration"`
	Surnames                string           `json:"surnames"`
	Forenames               string           `json:"forenames"`
	NameInOriginalScript    string           `json:"name_in_original_script,omitempty"`
	NamesAtBirthAndPrevious []string         `json:"names_at_birth_previous_names_and_aliases,omitempty"`
	Nationalities           []string         `json:"nationalities,omitempty"`
	DateOfBirth             string           `json:"date_of_birth,omitempty"`
	DateOfBirthEstimated    bool             `json:"date_of_birth_estimated,omitempty"`
	PlaceOfBirth            string           `json:"place_of_birth,omitempty"`
	Sex                     string           `json:"sex,omitempty"`
	TravelDocument          *EurodacDocument `json:"travel_document,omitempty"`
	FacialImageJPEGOrPNG    []byte           `json:"facial_image,omitempty"` // base64
	FingerprintsTaken       bool             `json:"fingerprints_taken"`     // fieldreg takes none
	OperatorUserID          string           `json:"operator_user_id"`       // device ID/officer ID: an officer ID is unique within its device only
	Operator                string           `json:"operator"`               // the officer as their device reported them, "Officer X (device D)"
	DeviceID                string           `json:"device_id"`
	IdentityUnderReview     bool             `json:"identity_under_review,omitempty"` // unresolved concurrent edits of identity fields
	LastUpdated             string           `json:"last_updated"`
	InformationNoticeGiven  bool             `json:"information_notice_given"`
	InterpreterPresent      bool             `json:"interpreter_present,omitempty"`
	LanguagesSpoken         []string         `json:"languages,omitempty"`
}

// EurodacExport is what ExportEurodac reports.
type EurodacExport struct {
	Records int
	Skipped int // records whose events could not be read (logged)
}

// ExportEurodac writes every record of the country, folded in memory from
// its sealed events, as one JSON document: a header and a "records" array,
// one record at a time (memory does not grow with the number of records).
// The output is personal data: the caller decides where it goes.
func (h *Hub) ExportEurodac(ctx context.Context, w io.Writer) (EurodacExport, error) {
	var rep EurodacExport
	if h.IsRegion() {
		return rep, ErrRegion
	}
	tr, err := h.loadTrust(ctx)
	if err != nil {
		return rep, err
	}
	ids, err := h.st.Records(ctx)
	if err != nil {
		return rep, err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	head, _ := json.Marshal(struct {
		Format              string   `json:"format"`
		Regulation          string   `json:"regulation"`
		MemberStateOfOrigin string   `json:"member_state_of_origin"`
		Generated           string   `json:"generated"`
		NotSupplied         []string `json:"not_supplied"`
	}{EurodacFormat, "Regulation (EU) 2024/1358 (Eurodac recast), data sets of Art. 17(1), 22(2), 23(2), 24(2) and 26(2)", h.auth.Country,
		h.opts.Now().UTC().Format(time.RFC3339), eurodacNotSupplied})
	bw.Write(head[:len(head)-1])
	bw.WriteString(",\"records\":[\n")
	enc := json.NewEncoder(bw)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r, err := h.openRecord(ctx, id)
		if errors.Is(err, hubstore.ErrNotFound) {
			continue // erased
		}
		if err != nil {
			rep.Skipped++
			h.log.Warn("record not exported", "record", id, "err", err.Error())
			continue
		}
		if rep.Records > 0 {
			bw.WriteString(",")
		}
		if err := enc.Encode(h.eurodacRecord(r, tr)); err != nil {
			return rep, err
		}
		rep.Records++
	}
	bw.WriteString("]}\n")
	return rep, bw.Flush()
}

// eurodacNotSupplied are the points of the data sets fieldreg holds nothing
// for; the national access point adds them, or transmits without them.
var eurodacNotSupplied = []string{
	"fingerprint data (Art. 17(1)(a), 22(2)(a), 24(2)(a), 26(2)(a)): fieldreg takes no fingerprints",
	"scanned colour copy of an identity or travel document with an indication of its authenticity (Art. 17(1)(j), 22(2)(j), 24(3)(b), 26(2)(j))",
	"date on which the biometric data were taken (Art. 17(1)(l))",
	"date on which the data were transmitted to Eurodac (Art. 17(1)(m)): set at transmission",
	"operator user ID in the national access point's sense (Art. 17(1)(n)): operator_user_id is fieldreg's officer ID within its device, as \"device ID/officer ID\"; operator is the officer's name as that device reported it",
}

// eurodacDataSets is the article and paragraph listing the data set of each
// category.
var eurodacDataSets = map[string]string{
	registry.CategoryProtection:    "Art. 17(1)",
	registry.CategoryIrregular:     "Art. 22(2)",
	registry.CategoryIllegalStay:   "Art. 23(2)",
	registry.CategorySearchRescue:  "Art. 24(2)",
	registry.CategoryTempProtected: "Art. 26(2)",
}

func (h *Hub) eurodacRecord(r *registry.Record, tr map[string]*trustEntry) *EurodacRecord {
	p := &r.Person
	first := r.Versions[0]
	e := &EurodacRecord{ReferenceNumber: r.ID, MemberStateOfOrigin: h.auth.Country, Category: p.Category, DataSet: eurodacDataSets[p.Category], EncounterKind: p.Encounter.Kind,
		PlaceOfEncounter: p.Encounter.Place, DateOfRegistration: r.Created().Time().Format(time.DateOnly),
		Surnames: p.FamilyName, Forenames: p.GivenNames, NameInOriginalScript: p.OriginalScriptName, NamesAtBirthAndPrevious: p.Aliases,
		Nationalities: p.Nationalities, PlaceOfBirth: p.PlaceOfBirth, Sex: p.Sex, FacialImageJPEGOrPNG: p.Photo,
		OperatorUserID: first.Event.Origin + "/" + first.Officer, DeviceID: first.Event.Origin, IdentityUnderReview: len(r.Conflicts) > 0,
		LastUpdated: r.Updated().Time().Format(time.RFC3339), InformationNoticeGiven: p.InformationNotice,
		InterpreterPresent: p.Interpreter, LanguagesSpoken: p.Languages}
	if !p.Encounter.At.IsZero() {
		e.DateOfEncounter = p.Encounter.At.UTC().Format(time.DateOnly)
	}
	if !p.BirthDate.IsZero() {
		// As known (YYYY, YYYY-MM or YYYY-MM-DD); an estimate from the
		// stated age is flagged rather than written with a sign.
		d := p.BirthDate
		e.DateOfBirthEstimated, d.Estimated = d.Estimated, false
		e.DateOfBirth = d.String()
	}
	if !p.Document.IsZero() {
		d := EurodacDocument(p.Document)
		e.TravelDocument = &d
	}
	device := first.Event.Origin
	if t := tr[first.Event.Origin]; t != nil {
		e.Station = t.station
		if t.cred.Name != "" {
			device = t.cred.Name
		}
	}
	// The hub has no officers of its own: every operator is named as the
	// device that registered the record reported them, attributed to it.
	e.Operator = registry.OfficerOf(first.By, first.Officer, device)
	return e
}
