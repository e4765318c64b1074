package app

import (
	"errors"
	"fmt"
	"sort"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/registry"
)

// problemLabels are the message IDs of the problems registry.Validate
// reports, by their code (the English text of registry's constants, which
// the command line prints). A message may name the field ({{.Field}}).
var problemLabels = map[string]string{
	registry.ProblemInvalidText:    "problem.invalid_text",
	registry.ProblemNoName:         "problem.no_name",
	registry.ProblemScriptLang:     "problem.script_lang",
	registry.ProblemChooseSex:      "problem.choose_sex",
	registry.ProblemBadSex:         "problem.bad_sex",
	registry.ProblemCountry:        "problem.country",
	registry.ProblemFuture:         "problem.future",
	registry.ProblemTooOld:         "problem.too_old",
	registry.ProblemDocNumber:      "problem.doc_number",
	registry.ProblemDocNumberChars: "problem.doc_number_chars",
	registry.ProblemDocType:        "problem.doc_type",
	registry.ProblemDocCountry:     "problem.doc_country",
	registry.ProblemDocExpiry:      "problem.doc_expiry",
	registry.ProblemCategory:       "problem.category",
	registry.ProblemEncounterAt:    "problem.encounter_at",
	registry.ProblemEncounterKind:  "problem.encounter_kind",
	registry.ProblemVulnerability:  "problem.vulnerability",
	registry.ProblemLanguages:      "problem.languages",
	registry.ProblemRelationship:   "problem.relationship",
	registry.ProblemNoticeLang:     "problem.notice_lang",
	registry.ProblemNoticeNotGiven: "problem.notice_not_given",
	registry.ProblemNoticeTogether: "problem.notice_together",
	registry.ProblemNoticeVersion:  "problem.notice_version",
}

// warningLabels are the message IDs of registry.Warnings' advice.
var warningLabels = map[string]string{
	registry.WarningExpired:      "warning.expired",
	registry.WarningNoBirthDate:  "warning.no_birth_date",
	registry.WarningPregnantMale: "warning.pregnant_male",
	registry.WarningAdultChild:   "warning.adult_child",
}

// problemText is a problem with field, from registry.Validate (a code of
// problemLabels) or from the form itself (already in the officer's
// language), as a sentence in the officer's language.
func (u *UI) problemText(field, msg string) string {
	args := i18n.Args{"Field": upperFirst(u.label(field, fieldLabels))}
	if id, ok := problemLabels[msg]; ok {
		return u.Tf(id, args)
	}
	var n int
	if _, err := fmt.Sscanf(msg, registry.ProblemTooLong, &n); err == nil {
		return u.Tn("problem.too_long", n, args)
	}
	if _, err := fmt.Sscanf(msg, registry.ProblemPhotoSize, &n); err == nil {
		return u.Tf("problem.photo_size", i18n.Args{"N": n})
	}
	return capitalise(msg)
}

// warning is one of registry.Warnings' advice in the officer's language.
func (u *UI) warning(w string) string {
	if id, ok := warningLabels[w]; ok {
		return u.T(id)
	}
	return capitalise(w)
}

// knownError is the message of an error whose kind the app knows, or "".
func (u *UI) knownError(err error) string {
	var fe registry.FieldErrors
	switch {
	case errors.As(err, &fe):
		var out string
		for _, k := range sortedKeys(fe) {
			if out != "" {
				out += " "
			}
			out += u.problemText(k, fe[k])
		}
		return out
	case errors.Is(err, device.ErrNotSupervisor):
		return u.T("error.not_supervisor")
	case errors.Is(err, device.ErrEraseLater):
		return u.T("error.erase_later")
	case errors.Is(err, device.ErrRecordErased):
		return u.erasedText(err)
	case errors.Is(err, device.ErrNoHubBundleKey):
		return u.T("error.no_bundle_key")
	case errors.Is(err, device.ErrNotInitialised):
		return u.T("error.not_initialised")
	case errors.Is(err, device.ErrInitialised):
		return u.T("error.initialised")
	case errors.Is(err, device.ErrOfficerLocked):
		return u.T("error.officer_locked")
	case errors.Is(err, device.ErrNoChange):
		return u.T("error.no_change")
	case errors.Is(err, device.ErrUnknownOfficer):
		return u.T("error.unknown_officer")
	case errors.Is(err, device.ErrTooSoon):
		return u.T("error.too_soon")
	case errors.Is(err, device.ErrDeviceRevoked):
		return u.T("error.device_revoked")
	case errors.Is(err, device.ErrDayFormat):
		return u.T("error.day_format")
	case errors.Is(err, device.ErrNoHub):
		return u.T("error.no_hub")
	case errors.Is(err, i18n.ErrUnknownLanguage):
		return u.T("error.unknown_language")
	}
	return ""
}

// sortedKeys are the fields of fe in order.
func sortedKeys(fe registry.FieldErrors) []string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
