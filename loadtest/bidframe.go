package loadtest

import (
	"encoding/json"
	"strconv"

	"github.com/bidcast/bidcast/signaling"
)

// appendBidPlace appends the bid.place request with correlation ID id
// and data d, byte for byte what json.Marshal of the envelope would write
// (TestAppendBidPlace), without reflection: the generator sends one per
// bid.
func appendBidPlace(dst []byte, id string, d signaling.BidData) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, signaling.Version, 10)
	dst = append(dst, `,"type":"`+signaling.TypeBidPlace+`"`...)
	if id != "" { // omitempty
		dst = append(dst, `,"id":`...)
		dst = appendJSONString(dst, id)
	}
	dst = append(dst, `,"data":{"lot_id":`...)
	dst = appendJSONString(dst, d.LotID)
	dst = append(dst, `,"amount":`...)
	dst = strconv.AppendInt(dst, d.Amount, 10)
	dst = append(dst, `,"currency":`...)
	dst = appendJSONString(dst, d.Currency)
	dst = append(dst, `,"bid_id":`...)
	dst = appendJSONString(dst, d.BidID)
	return append(dst, `}}`...)
}

// appendJSONString appends s quoted as json.Marshal quotes it: as it is
// when it has only printable ASCII that needs no escape (ids, UUIDs,
// currencies), through json.Marshal otherwise.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
