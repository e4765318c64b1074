package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

// textSinks are the calls whose arguments the officer reads: Fyne's widget
// constructors and setters, dialogs, and the app's own helpers that make
// widgets from text. A string literal with a letter in any of their
// arguments bypasses the catalogue.
var textSinks = map[string]bool{
	// Fyne
	"NewLabel": true, "NewLabelWithStyle": true, "NewButton": true, "NewButtonWithIcon": true, "NewCheck": true,
	"NewCard": true, "NewSelect": true, "NewRadioGroup": true, "NewRichTextWithText": true, "NewHyperlink": true,
	"NewText": true, "NewForm": true, "NewFormItem": true, "NewAccordionItem": true, "NewTabItem": true,
	"NewTabItemWithIcon": true, "NewToolbarAction": true,
	"ShowConfirm": true, "ShowInformation": true, "ShowError": true, "NewConfirm": true, "NewInformation": true,
	"NewError": true, "NewCustom": true, "NewCustomConfirm": true, "ShowCustom": true, "ShowCustomConfirm": true,
	"SetText": true, "SetPlaceHolder": true, "SetTitle": true, "SetSubTitle": true, "SetConfirmText": true,
	"SetDismissText": true, "SendNotification": true, "NewNotification": true,
	// the app's helpers
	"heading": true, "para": true, "fieldLabel": true, "section": true, "labelled": true, "rows": true,
	"button": true, "primary": true, "check": true, "newEntry": true, "newPassword": true, "newMultiLine": true,
	"newCodePicker": true, "newScanEntry": true, "newReceiptScreen": true, "row": true, "add": true,
	"Set": true, "note": true, "showFatal": true, "selectBox": true, "radio": true, "confirm": true, "inform": true,
}

// textFieldNames are struct fields whose value the officer reads.
var textFieldNames = map[string]bool{"Text": true, "PlaceHolder": true, "backLabel": true, "Title": true, "Subtitle": true}

// nonText are literals with letters that are not words for the officer: a
// time layout and a file extension in file names, a JSON key looked for.
var nonText = map[string]bool{"20060102T150405Z": true, ".bundle": true, `"format"`: true}

// notShown are calls whose string arguments are not shown as they are:
// errors wrapped for the log or for plainError, and string tests.
var notShown = map[string]bool{"Contains": true, "HasPrefix": true, "HasSuffix": true}

// wrapped are the calls that make errors: what a function returns through
// them reaches the officer only through plainError, which words the errors
// it knows; shown directly (a dialog), they are text.
var wrapped = map[string]bool{"Errorf": true, "New": true}

// catalogueCalls take a message ID, not text.
var catalogueCalls = map[string]bool{"T": true, "Tf": true, "Tn": true}

var fmtVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// isText reports whether a literal's value holds a word (a letter outside
// format verbs).
func isText(s string) bool {
	if nonText[s] {
		return false
	}
	for _, r := range fmtVerb.ReplaceAllString(s, "") {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// bypasses returns the string literals with words in src (a Go file) that
// reach the officer without the catalogue, as "file:line: literal".
func bypasses(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, returned bool) {
		ast.Inspect(n, func(x ast.Node) bool {
			switch v := x.(type) {
			case *ast.CallExpr:
				if catalogueCalls[callName(v)] || notShown[callName(v)] || returned && wrapped[callName(v)] {
					return false // a message ID, or not shown
				}
			case *ast.IndexExpr:
				return false // a map key (f.errs["family_name"])
			case *ast.FuncLit:
				return false // a callback's body is checked on its own
			case *ast.BasicLit:
				if v.Kind == token.STRING {
					if s, err := strconv.Unquote(v.Value); err == nil && isText(s) {
						out = append(out, fset.Position(v.Pos()).String()+": "+v.Value)
					}
				}
			}
			return true
		})
	}
	ast.Inspect(f, func(x ast.Node) bool {
		switch v := x.(type) {
		case *ast.CallExpr:
			if textSinks[callName(v)] {
				for _, a := range v.Args {
					report(a, false)
				}
			}
		case *ast.AssignStmt:
			for i, l := range v.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && textFieldNames[sel.Sel.Name] && i < len(v.Rhs) {
					report(v.Rhs[i], false)
				}
			}
		case *ast.ReturnStmt:
			// Functions that word something for the officer return it.
			for _, r := range v.Results {
				report(r, true)
			}
		}
		return true
	})
	return out
}

func callName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// parseApp parses the app's (non-test) Go files.
func parseApp(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = f
	}
	return fset, files
}

// Every word the officer reads comes from the catalogue.
func TestNoTextBypassesCatalogue(t *testing.T) {
	fset, files := parseApp(t)
	var all []string
	for _, f := range files {
		all = append(all, bypasses(fset, f)...)
	}
	sort.Strings(all)
	for _, b := range all {
		t.Errorf("text outside the catalogue: %s", b)
	}
}

// The check finds a planted violation of each kind, and passes the same
// code once it goes through the catalogue.
func TestBypassCheckCatchesPlanted(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{`s.msg.Set("Wrong passphrase.")`, 1},
		{`widget.NewLabel("Записи")`, 1},
		{`u.button("Lock", theme.LogoutIcon(), nil)`, 1},
		{`dialog.ShowConfirm("Remove "+name+"?", "They go.", nil, w)`, 2},
		{`l.Text = fmt.Sprintf("%d records found", n)`, 1},
		{`dialog.ShowError(errors.New("The file could not be saved."), w)`, 1},
		{`return "Sent to the printer."`, 1},
		{`return fmt.Errorf("reading %s: %w", name, err)`, 0},
		{`m.Set(f.errs["family_name"].Text())`, 0},
		{`heading(fmt.Sprintf("%s · %s", a, b))`, 0},
		{`s.msg.Set(u.T("unlock.wrong_passphrase"))`, 0},
		{`s.msg.Set(u.Tf("unlock.where", i18n.Args{"Station": st}))`, 0},
		{`u.button(u.T("shell.lock"), theme.LogoutIcon(), func() { u.lock("") })`, 0},
	} {
		src := "package app\nfunc f() {\n" + c.src + "\n}\n"
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "planted.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := bypasses(fset, f); len(got) != c.want {
			t.Errorf("%s: found %d (%v), want %d", c.src, len(got), got, c.want)
		}
	}
}

// Every message ID the app names is in the English catalogue, and every
// English message is used by the app: no dead words to translate, no
// ID that would show itself on screen.
func TestCatalogueMatchesApp(t *testing.T) {
	fset, files := parseApp(t)
	en, err := i18n.Catalogue(i18n.Default)
	if err != nil {
		t.Fatal(err)
	}
	keyLike := regexp.MustCompile(`^[a-z_]+\.[a-z0-9_.]+$`)
	used := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(x ast.Node) bool {
			if c, ok := x.(*ast.CallExpr); ok && catalogueCalls[callName(c)] && len(c.Args) > 0 {
				if lit, ok := c.Args[0].(*ast.BasicLit); ok {
					id, _ := strconv.Unquote(lit.Value)
					if _, ok := en[id]; !ok {
						t.Errorf("%s: message %q is not in the catalogue", fset.Position(lit.Pos()), id)
					}
				}
			}
			if lit, ok := x.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, _ := strconv.Unquote(lit.Value); keyLike.MatchString(s) {
					used[s] = true
				}
			}
			return true
		})
	}
	for id := range en {
		if !used[id] {
			t.Errorf("message %q is in the catalogue but the app never names it", id)
		}
	}
}
