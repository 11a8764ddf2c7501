package storage_test

import (
	"fmt"
	"testing"
)

// BenchmarkCommitBatchFence is the cost of the fence check in the group
// commit's one statement: a batch of 10 bids and the lot's update,
// unfenced (token 0) and fenced (the room's current token, held for share).
func BenchmarkCommitBatchFence(b *testing.B) {
	for _, fenced := range []bool{false, true} {
		b.Run(fmt.Sprintf("fenced=%v", fenced), func(b *testing.B) {
			s := newFencedShow(b)
			var token int64
			if fenced {
				token = s.raise()
			}
			lots := s.lots.Fenced(s.roomID, token)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				upd := s.next("live")
				var rows = s.row(fmt.Sprintf("b-%d-0", i))
				for j := 1; j < 10; j++ {
					rows = append(rows, s.row(fmt.Sprintf("b-%d-%d", i, j))...)
				}
				b.StartTimer()
				if err := lots.CommitBatch(s.ctx, s.roomID, rows, &upd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
