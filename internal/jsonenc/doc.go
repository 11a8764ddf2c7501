// Package jsonenc appends the few JSON fragments that the hot paths build
// many times a second (a room event as the log stores it, a message's
// envelope as the gateway sends it, a bid as the load generator sends it)
// without encoding/json's reflection or
// its second pass over raw values it has already been given valid.
//
// Its output is byte for byte what encoding/json.Marshal makes of the same
// values; the tests hold it to that. Anything outside the plain fast case
// (a string that needs escaping, a time outside years 0–9999) is handed to
// encoding/json, so the escaping rules live in one place.
package jsonenc
