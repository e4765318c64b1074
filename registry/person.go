// Package registry holds the domain of fieldreg: the person record, its
// validation, registration IDs, the signed events that change records and the
// deterministic fold that turns events into the current state.
//
// It has no storage, UI or network dependency.
package registry

import (
	"time"
)

// Sex values follow ICAO 9303 plus U for "unknown / not stated".
const (
	SexFemale  = "F"
	SexMale    = "M"
	SexOther   = "X"
	SexUnknown = "U"
)

// Categories of the Eurodac recast (Regulation (EU) 2024/1358).
const (
	CategoryProtection    = "international_protection"
	CategoryIrregular     = "irregular_crossing"
	CategoryIllegalStay   = "illegal_stay"
	CategorySearchRescue  = "search_and_rescue"
	CategoryTempProtected = "temporary_protection"
)

// Categories lists every valid category in display order.
var Categories = []string{CategoryProtection, CategoryIrregular, CategoryIllegalStay, CategorySearchRescue, CategoryTempProtected}

// Vulnerability codes. They are sensitive: never printed on receipts.
const (
	VulnUnaccompaniedChild = "unaccompanied_child"
	VulnSeparatedChild     = "separated_child"
	VulnPregnancy          = "pregnancy"
	VulnDisability         = "disability"
	VulnMedical            = "medical"
	VulnTrafficking        = "trafficking_indicators"
	VulnElderly            = "elderly"
)

// Vulnerabilities lists every valid vulnerability code in display order.
var Vulnerabilities = []string{VulnUnaccompaniedChild, VulnSeparatedChild, VulnPregnancy, VulnDisability, VulnMedical, VulnTrafficking, VulnElderly}

// Document types.
var DocumentTypes = []string{"passport", "identity_card", "travel_document", "residence_permit", "other"}

// Relationships inside a family or group.
var Relationships = []string{"head", "spouse", "child", "parent", "sibling", "other_relative", "unrelated"}

// Encounter kinds: where and how the person came into contact with the authorities.
var EncounterKinds = []string{"apprehension", "application", "disembarkation", "check"}

// Document is a travel or identity document shown by the person.
type Document struct {
	Type           string `json:"type,omitempty"`
	Number         string `json:"number,omitempty"`
	IssuingCountry string `json:"issuing_country,omitempty"`
	Expiry         string `json:"expiry,omitempty"` // YYYY-MM-DD
}

// IsZero reports whether no document data is present.
func (d Document) IsZero() bool { return d == Document{} }

// Encounter is the place and time the person was apprehended, applied or was met.
type Encounter struct {
	Kind  string    `json:"kind,omitempty"`
	Place string    `json:"place,omitempty"` // crossing point or locality
	At    time.Time `json:"at"`
}

// Person is the data recorded about one registered person. Field names follow
// the Eurodac recast (Art. 17 and 22) plus what field work needs. Every field
// is personal data and is sealed at rest.
type Person struct {
	FamilyName         string    `json:"family_name"`
	GivenNames         string    `json:"given_names"`
	OriginalScriptName string    `json:"original_script_name,omitempty"`
	OriginalScriptLang string    `json:"original_script_lang,omitempty"` // ISO 639-3
	Aliases            []string  `json:"aliases,omitempty"`              // previous names and aliases
	Nationalities      []string  `json:"nationalities,omitempty"`        // ISO 3166-1 alpha-3 or ICAO XXA/XXB/XXC/XXX
	BirthDate          Date      `json:"birth_date"`
	PlaceOfBirth       string    `json:"place_of_birth,omitempty"`
	Sex                string    `json:"sex"`
	Document           Document  `json:"document,omitempty"`
	Category           string    `json:"category"`
	Encounter          Encounter `json:"encounter"`
	Vulnerabilities    []string  `json:"vulnerabilities,omitempty"`
	Relationship       string    `json:"relationship,omitempty"` // within the group
	Languages          []string  `json:"languages,omitempty"`    // ISO 639-3
	Interpreter        bool      `json:"interpreter,omitempty"`
	InformationNotice  bool      `json:"information_notice,omitempty"`
	NoticeLang         string    `json:"notice_lang,omitempty"`    // ISO 639-3: the language of the notice given
	NoticeVersion      string    `json:"notice_version,omitempty"` // the version of that notice's text
	Photo              []byte    `json:"photo,omitempty"`          // JPEG or PNG, at most MaxPhotoBytes
	Notes              string    `json:"notes,omitempty"`
	Group              string    `json:"group,omitempty"` // family or group ID shared by its members
}

// MaxPhotoBytes bounds the size of a photo kept with a record.
const MaxPhotoBytes = 2 << 20

// FullName is the Latin-script name as "FAMILY, Given".
func (p *Person) FullName() string {
	switch {
	case p.FamilyName == "":
		return p.GivenNames
	case p.GivenNames == "":
		return p.FamilyName
	}
	return p.FamilyName + ", " + p.GivenNames
}

// IdentityFields are the fields whose concurrent edits become conflicts for a
// supervisor instead of being settled by last-writer-wins.
var IdentityFields = map[string]bool{
	"family_name": true, "given_names": true, "original_script_name": true,
	"birth_date": true, "sex": true, "document": true,
}
