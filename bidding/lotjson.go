package bidding

import (
	"encoding/json"
	"fmt"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// Where the domain meets storage's JSON documents: the auction engine's
// Band, Tier and ProxyMax carry no JSON names, storage's IncrementBand,
// PolicyTier and ProxyMax do. One conversion each way; a nil list stays nil
// (the engine reads nil as "use the defaults").

// IncrementTableJSON encodes an increment table as a lot's increment_table
// column holds it. Everything that writes a lot (demo, the command line)
// encodes its table here.
func IncrementTableJSON(t auction.Increments) (json.RawMessage, error) {
	var bands []storage.IncrementBand
	if t != nil {
		bands = make([]storage.IncrementBand, len(t))
		for i, b := range t {
			bands[i] = storage.IncrementBand{From: b.From, Step: b.Step}
		}
	}
	out, err := json.Marshal(bands)
	if err != nil {
		return nil, fmt.Errorf("encode increment table: %w", err)
	}
	return out, nil
}

// incrementsFromStorage is the engine's table of stored bands.
func incrementsFromStorage(bands []storage.IncrementBand) auction.Increments {
	if bands == nil {
		return nil
	}
	out := make(auction.Increments, len(bands))
	for i, b := range bands {
		out[i] = auction.Band{From: b.From, Step: b.Step}
	}
	return out
}

// tiersFromStorage is the engine's dynamic-clock tiers of stored ones.
func tiersFromStorage(tiers []storage.PolicyTier) []auction.Tier {
	if tiers == nil {
		return nil
	}
	out := make([]auction.Tier, len(tiers))
	for i, t := range tiers {
		out[i] = auction.Tier{RaiseBP: t.RaiseBP, CutMS: t.CutMS}
	}
	return out
}

// proxiesToStorage is the stored shape of a lot's hidden maxima.
func proxiesToStorage(ps []auction.ProxyMax) []storage.ProxyMax {
	if ps == nil {
		return nil
	}
	out := make([]storage.ProxyMax, len(ps))
	for i, p := range ps {
		out[i] = storage.ProxyMax{BidderID: p.BidderID, Max: p.Max, Seq: p.Seq, ReceivedAt: p.ReceivedAt}
	}
	return out
}

// proxiesFromStorage is the engine's hidden maxima of stored ones.
func proxiesFromStorage(ps []storage.ProxyMax) []auction.ProxyMax {
	if ps == nil {
		return nil
	}
	out := make([]auction.ProxyMax, len(ps))
	for i, p := range ps {
		out[i] = auction.ProxyMax{BidderID: p.BidderID, Max: p.Max, Seq: p.Seq, ReceivedAt: p.ReceivedAt}
	}
	return out
}
