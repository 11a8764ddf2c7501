package testpattern

import "testing"

func TestSplitAccessUnits(t *testing.T) {
	sc := []byte{0, 0, 0, 1}
	var b []byte
	add := func(n ...byte) { b = append(append(b, sc...), n...) }
	add(0x09, 0xf0)       // AUD
	add(0x67, 0x42)       // SPS
	add(0x68, 0xce)       // PPS
	add(0x65, 0x88, 0x01) // IDR, first_mb 0
	add(0x41, 0x9a, 0x02) // P, first_mb 0: new AU
	add(0x41, 0x9a, 0x03) // P: new AU
	aus := splitAccessUnits(b)
	if len(aus) != 3 {
		t.Fatalf("got %d access units, want 3", len(aus))
	}
	if !aus[0].key || len(aus[0].nalus) != 3 || aus[1].key {
		t.Fatalf("unexpected grouping: %+v", aus)
	}
}
