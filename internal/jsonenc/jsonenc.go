package jsonenc

import (
	"encoding/json"
	"time"
)

// String appends s as a JSON string, escaped as encoding/json escapes it
// (HTML characters and invalid UTF-8 included).
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Time appends t as encoding/json encodes a time.Time (RFC 3339 with
// nanoseconds, quoted). ok is false, and b unchanged, for a time JSON
// cannot hold (a year outside 0–9999).
func Time(b []byte, t time.Time) (out []byte, ok bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}
