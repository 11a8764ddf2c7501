package auth

import (
	"unicode"
	"unicode/utf8"
)

// Text users show to each other (display names, chat) is checked by one
// rule, VisibleText, so a trick refused in a name is refused in chat too.

// zwj is the zero-width joiner, the one format character VisibleText
// allows, and only inside emoji sequences (👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍🚀), where it
// joins two pictographs and cannot hide or reorder text.
const zwj = '\u200d'

// VisibleText reports whether s, which must be valid UTF-8, is free of
// characters that could hide text or change its order or lines where
// other users read it: control characters, Unicode format characters
// (category Cf: bidirectional overrides, embeddings, isolates and marks,
// zero-width spaces and joiners, the byte order mark, the soft hyphen, tag
// characters...), line and paragraph separators, and U+FFFD (text garbled
// on its way). The zero-width joiner is the exception, between two emoji.
func VisibleText(s string) bool {
	var prev rune // the last rune other than a variation selector or skin tone
	for i, r := range s {
		switch {
		case r == zwj:
			next, _ := utf8.DecodeRuneInString(s[i+len(string(zwj)):])
			if !pictograph(prev) || !pictograph(next) {
				return false
			}
		case hiddenRune(r):
			return false
		case r == '\ufe0f' || (r >= 0x1f3fb && r <= 0x1f3ff):
			continue // emoji presentation selector, skin tone modifier
		}
		prev = r
	}
	return true
}

// hiddenRune reports whether r is a character VisibleText refuses
// wherever it stands.
func hiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' ||
		r == utf8.RuneError
}

// pictograph reports whether r is an emoji-like symbol that a zero-width
// joiner may join (category So: most emoji; Go has no Emoji property).
func pictograph(r rune) bool { return r != utf8.RuneError && unicode.Is(unicode.So, r) }
