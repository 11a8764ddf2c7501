package events

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/auction"
)

// TestMoneyOnTheWire holds the wire shape of an amount, which the domain
// type no longer carries: {"amount":…, "currency":…}, and left out when
// zero where the field says omitzero.
func TestMoneyOnTheWire(t *testing.T) {
	ev := PublicEvent{Type: "bid.accepted", HighBid: MoneyOf(auction.Money{Amount: 1500, Currency: "KRW"}),
		Bid: &PublicBid{LotID: "l", Bidder: "b", Kind: auction.KindBid, Amount: MoneyOf(auction.Money{Amount: 1500, Currency: "KRW"})}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"high_bid":{"amount":1500,"currency":"KRW"}`, `"amount":{"amount":1500,"currency":"KRW"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), "next_min") {
		t.Errorf("zero next_min is not left out: %s", b)
	}
	lot, _ := json.Marshal(PublicLot{Opening: MoneyOf(auction.Money{Amount: 0, Currency: "EUR"})})
	if !strings.Contains(string(lot), `"opening":{"amount":0,"currency":"EUR"}`) {
		t.Errorf("opening is always shown: %s", lot)
	}
}
