package signaling

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// chatTexts are chat lines and whether they may be sent. Format characters
// (Unicode category Cf) are refused as in display names: they can reverse
// or hide text in other viewers' chat. The zero-width joiner is allowed
// only where emoji sequences use it, between two emoji.
var chatTexts = []struct {
	name, text string
	ok         bool
}{
	{"ascii", "hello, is the vase chipped?", true},
	{"korean", "안녕하세요 입찰합니다", true},
	{"emoji", "nice kicks 👟🔥", true},
	{"arabic", "مرحبا", true},
	{"mixed scripts", "Ложка €5 — 좋아요", true},
	{"skin tone", "👍🏽 deal", true},
	{"zwj family", "👨\u200d👩\u200d👧 watching", true},
	{"zwj profession with tone", "🧑🏽\u200d🚀", true},
	{"zwj rainbow flag", "🏳\ufe0f\u200d🌈", true},
	{"variation selector", "❤\ufe0f", true},
	{"keycap", "1\ufe0f\u20e3", true},
	{"combining accent", "cafe\u0301", true},

	{"right-to-left override", "price \u202e0001\u202c ok", false},
	{"left-to-right override", "a\u202db", false},
	{"right-to-left embedding", "a\u202bb", false},
	{"pop directional formatting", "a\u202cb", false},
	{"right-to-left isolate", "a\u2067b\u2069", false},
	{"first strong isolate", "\u2068x", false},
	{"right-to-left mark", "a\u200fb", false},
	{"left-to-right mark", "\u200eabc", false},
	{"arabic letter mark", "\u061c", false},
	{"zero-width space", "free\u200bshipping", false},
	{"zero-width non-joiner", "a\u200cb", false},
	{"zwj between letters", "pay\u200dpal", false},
	{"zwj after emoji only", "👍\u200d", false},
	{"zwj before emoji only", "\u200d👍", false},
	{"zwj alone", "\u200d", false},
	{"word joiner", "a\u2060b", false},
	{"invisible times", "a\u2062b", false},
	{"byte order mark", "\ufeffhi", false},
	{"soft hyphen", "auc\u00adtion", false},
	{"interlinear annotation", "\ufff9a\ufffab\ufffb", false},
	{"tag characters", "🏴\U000e0067\U000e0062\U000e007f", false},
	{"mongolian vowel separator", "a\u180eb", false},
	{"line separator", "a\u2028b", false},
	{"paragraph separator", "a\u2029b", false},
	{"newline", "a\nb", false},
	{"nul", "a\x00b", false},
	{"delete", "a\x7fb", false},
	{"c1 control", "a\u0085b", false},
	{"invalid utf-8", "a\xffb", false},
	{"blank", " \t", false},
	{"too long", strings.Repeat("가", 501), false},
}

func TestValidateChatFormatCharacters(t *testing.T) {
	for _, tc := range chatTexts {
		err := validateChat(tc.text, 500)
		if (err == nil) != tc.ok {
			t.Errorf("%s: validateChat(%q) = %v, want ok=%v", tc.name, tc.text, err, tc.ok)
		}
		if code, _, _ := classify(err); err != nil && code != CodeInvalidChat {
			t.Errorf("%s: code %q", tc.name, code)
		}
	}
}

// TestChatRefusesFormatCharacters sends the refused lines over a real
// connection: each is answered invalid_chat and none reaches the room.
func TestChatRefusesFormatCharacters(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	c := dial(t, srv, "mallory")
	c.join(e.room.ID)
	for _, tc := range chatTexts {
		if tc.ok || !utf8.ValidString(tc.text) || tc.name == "too long" {
			continue
		}
		id := c.send(TypeChatSend, ChatSendData{Text: tc.text})
		c.expectError(id, CodeInvalidChat)
	}
	id := c.send(TypeChatSend, ChatSendData{Text: "안녕 👨\u200d👩\u200d👧"})
	for {
		env := c.next()
		if env.Type == TypeAck && env.ID == id {
			break
		}
		if env.Type == TypeError {
			t.Fatalf("a plain line was refused: %s", env.Data)
		}
	}
}
