package auth

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzVisibleText checks VisibleText against its contract: text it accepts
// has no control, format or separator character except zero-width joiners,
// and each of those stands between two runes of other text.
func FuzzVisibleText(f *testing.F) {
	for _, s := range []string{"Ann", "김민수", "a\u202eb", "👨\u200d👩\u200d👧", "\u200d", "👍\u200d", "🧑🏽\u200d🚀",
		"a\u2028b", "\ufeff", "🏴\U000e0067\U000e007f", "x\u200d\ufe0f👍"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || !VisibleText(s) {
			return
		}
		if strings.HasPrefix(s, "\u200d") || strings.HasSuffix(s, "\u200d") || strings.Contains(s, "\u200d\u200d") {
			t.Fatalf("%q: accepted with a loose zero-width joiner", s)
		}
		for _, r := range s {
			if r != zwj && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp)) {
				t.Fatalf("%q: accepted with %U", s, r)
			}
		}
	})
}
