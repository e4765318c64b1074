package wire

import (
	"strings"

	"github.com/fieldreg/fieldreg/sync/federation"
)

// Federation paths. PathElsewhere is served by a country hub to its devices;
// the other two by the regional hub to country hubs (mutual TLS with the
// certificate the regional authority issued to the country hub).
const (
	PathElsewhere = "/v1/elsewhere"
	PathFedPush   = "/v1/federation/push"
	PathFedQuery  = "/v1/federation/query"
)

// MaxFedEntries bounds the records of one upstream push.
const MaxFedEntries = 500

// ElsewhereRequest asks "was this person registered elsewhere?". Sealed is
// the person's blocking keys (JSON array of strings) sealed under the
// deployment's records key with seal.AD("federation", "elsewhere",
// Record): phonetic skeletons, never a name as written, and even those
// never in the clear on the wire. Record is the asking record's reference
// (left out of the answer).
type ElsewhereRequest struct {
	Version int    `json:"version"`
	Record  string `json:"record,omitempty"`
	Sealed  []byte `json:"sealed"`
}

// Hit is one earlier registration in another country, as the region knows
// it: who holds it and under what reference. In index-only sharing the
// details go country to country. Details is set only when both the asking
// country and the owning country share in full mode (reciprocity): the
// identity data of the hit record, so the officer can compare, as Eurodac
// transmits the data of a hit.
type Hit struct {
	Country  string      `json:"country"`
	Ref      string      `json:"ref"`
	Date     string      `json:"date"` // YYYY-MM-DD of the registration
	Place    string      `json:"place"`
	Category string      `json:"category"`
	Evidence string      `json:"evidence"` // plain words: what agreed (no values)
	Details  *HitDetails `json:"details,omitempty"`
}

// HitDetails is the identity data of a hit record (full sharing only),
// named as in the Eurodac export (docs/federation.md). Personal data:
// never log it.
type HitDetails struct {
	Surnames             string       `json:"surnames,omitempty"`
	Forenames            string       `json:"forenames,omitempty"`
	NameInOriginalScript string       `json:"name_in_original_script,omitempty"`
	OtherNames           []string     `json:"names_at_birth_previous_names_and_aliases,omitempty"`
	Sex                  string       `json:"sex,omitempty"`
	DateOfBirth          string       `json:"date_of_birth,omitempty"`           // YYYY, YYYY-MM or YYYY-MM-DD as known
	DateOfBirthEstimated bool         `json:"date_of_birth_estimated,omitempty"` // the year is an estimate from the stated age
	PlaceOfBirth         string       `json:"place_of_birth,omitempty"`
	Nationalities        []string     `json:"nationalities,omitempty"`
	TravelDocument       *HitDocument `json:"travel_document,omitempty"`
}

// Describe is the details in one line for an officer's screen or terminal
// (personal data: never log it).
func (d *HitDetails) Describe() string {
	if d == nil {
		return ""
	}
	var parts []string
	name := strings.TrimSpace(strings.ToUpper(d.Surnames) + ", " + d.Forenames)
	if d.NameInOriginalScript != "" {
		name += " (" + d.NameInOriginalScript + ")"
	}
	parts = append(parts, strings.Trim(name, ", "))
	if len(d.OtherNames) > 0 {
		parts = append(parts, "also known as "+strings.Join(d.OtherNames, "; "))
	}
	if d.DateOfBirth != "" || d.PlaceOfBirth != "" {
		born := "born"
		if d.DateOfBirth != "" {
			if d.DateOfBirthEstimated {
				born += " about"
			}
			born += " " + d.DateOfBirth
		}
		if d.PlaceOfBirth != "" {
			born += " in " + d.PlaceOfBirth
		}
		parts = append(parts, born)
	}
	if d.Sex != "" {
		parts = append(parts, "sex "+d.Sex)
	}
	if len(d.Nationalities) > 0 {
		parts = append(parts, "nationality "+strings.Join(d.Nationalities, ", "))
	}
	if doc := d.TravelDocument; doc != nil && doc.Number != "" {
		t := strings.ReplaceAll(doc.Type, "_", " ")
		if t == "" {
			t = "document"
		}
		s := t + " " + doc.Number
		if doc.IssuingCountry != "" {
			s += " issued by " + doc.IssuingCountry
		}
		if doc.Expiry != "" {
			s += ", valid until " + doc.Expiry
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// HitDocument is the travel document of a hit record.
type HitDocument struct {
	Type           string `json:"type,omitempty"`
	Number         string `json:"number,omitempty"`
	IssuingCountry string `json:"issuing_country,omitempty"`
	Expiry         string `json:"expiry,omitempty"`
}

// ElsewhereReply is the answer: no hits is a no-hit.
type ElsewhereReply struct {
	Region string `json:"region"`
	Hits   []Hit  `json:"hits"`
	// More says the region found more hits than it sends (the weakest were
	// left out).
	More bool `json:"more,omitempty"`
}

// FedEntry is one record as it crosses the border: its tokens and minimal
// metadata, and in full sharing its Eurodac data set encrypted to the
// region (federation.SealDetails). The country comes from the caller's
// certificate, never from the body.
type FedEntry struct {
	Ref      string             `json:"ref"`
	Date     string             `json:"date"`
	Place    string             `json:"place"`
	Category string             `json:"category"`
	Tokens   []federation.Token `json:"tokens"`
	Details  []byte             `json:"details,omitempty"` // full sharing only; age ciphertext
	// Erased says the record was erased in its country: the region forgets
	// everything it holds of it (tokens, metadata, data set). An erased
	// entry carries nothing else.
	Erased bool `json:"erased,omitempty"`
}

// FedPush upserts records at the region, keyed by reference: a record sent
// again replaces its earlier tokens and metadata.
type FedPush struct {
	Version int        `json:"version"`
	Entries []FedEntry `json:"entries"`
}

// FedPushReply acknowledges a push: every entry is durably held.
type FedPushReply struct {
	Upserted int `json:"upserted"`
}

// FedQuery asks the region about a person's tokens.
type FedQuery struct {
	Version int                `json:"version"`
	Exclude string             `json:"exclude,omitempty"`
	Tokens  []federation.Token `json:"tokens"`
}
