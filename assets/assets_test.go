package assets

import "testing"

func TestTables(t *testing.T) {
	c := Countries()
	for _, code := range []string{"BIH", "SRB", "AFG", "SYR", "XKX", "XXA", "XXB", "XXC", "XXX"} {
		if !c.Valid(code) {
			t.Errorf("%s missing", code)
		}
	}
	for _, code := range []string{"YUG", "SUN", "ZZZ", "bih", ""} {
		if c.Valid(code) {
			t.Errorf("%s should not be valid", code)
		}
	}
	if got := c.Filter("bos"); len(got) == 0 || got[0].Code != "BIH" {
		t.Errorf("filter bos: %v", got)
	}
	if got := c.Filter("SY"); len(got) == 0 || got[0].Code != "SYC" && got[0].Code != "SYR" {
		t.Errorf("filter SY: %v", got)
	}
	if !Languages().Valid("prs") || !Languages().Valid("ara") {
		t.Error("languages missing")
	}
	if len(Icon()) < 100 {
		t.Error("no icon")
	}
}
