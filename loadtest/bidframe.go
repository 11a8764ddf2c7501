package loadtest

import (
	"strconv"

	"github.com/bidcast/bidcast/internal/jsonenc"
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
		dst = jsonenc.String(dst, id)
	}
	dst = append(dst, `,"data":{"lot_id":`...)
	dst = jsonenc.String(dst, d.LotID)
	dst = append(dst, `,"amount":`...)
	dst = strconv.AppendInt(dst, d.Amount, 10)
	dst = append(dst, `,"currency":`...)
	dst = jsonenc.String(dst, d.Currency)
	dst = append(dst, `,"bid_id":`...)
	dst = jsonenc.String(dst, d.BidID)
	return append(dst, `}}`...)
}
