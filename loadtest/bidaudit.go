package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// summary builds the bids section from the counters.
func (s *bidSwarm) summary(rate float64, d time.Duration) *BidsSummary {
	st := &s.stats
	// The quantiles come from the same snapshot as the raw samples, so a
	// reply landing meanwhile cannot make the two disagree (loadtest merge
	// recomputes them from the samples).
	s.snapshotBidSamples()
	raw := s.rep.samples().Bids
	b := &BidsSummary{Rooms: len(s.rooms), Bidders: len(s.bidders), Watchers: len(s.watchers), TargetRate: rate,
		Sent: st.sent.Load(), Acked: st.acked.Load(), Accepted: st.accepted.Load(), Rejected: st.rejected.Load(),
		Undecided: s.undecided(), ErrorReplies: st.errReplies.Load(), SendFailures: st.sendFail.Load(),
		Skipped: st.skipped.Load(), NoLot: st.noLot.Load(), Ack: quantilesOfData(raw.Ack),
		Decision: quantilesOfData(raw.Decision), Lag: quantilesOfData(raw.Lag), ChatSent: st.chatSent.Load(),
		ChatLag: quantilesOfData(raw.ChatLag), BidSeconds: d.Seconds()}
	b.AchievedRate = float64(b.Sent) / d.Seconds()
	st.mu.Lock()
	if len(st.reasons) > 0 {
		b.Reasons = map[string]int64{}
		for k, v := range st.reasons {
			b.Reasons[k] = v
		}
	}
	if len(st.codes) > 0 {
		b.ErrorCodes, b.ErrorExamples = map[string]int64{}, map[string]string{}
		for k, v := range st.codes {
			b.ErrorCodes[k] = v
		}
		for k, v := range st.examples {
			b.ErrorExamples[k] = v
		}
	}
	st.mu.Unlock()
	for _, r := range s.rooms {
		b.LotsStarted += r.lotsStarted()
	}
	return b
}

// fill adds bid figures to a time-series point.
func (s *bidSwarm) fill(p *Point, dt time.Duration) {
	st := &s.stats
	sent, acc := st.sent.Load(), st.accepted.Load()
	chat := st.chatSent.Load()
	if dt > 0 {
		p.BidsPerSec = float64(sent-s.lastSent) / dt.Seconds()
		p.AcceptedPS = float64(acc-s.lastAcc) / dt.Seconds()
		p.ChatPerSec = float64(chat-s.lastChat) / dt.Seconds()
	}
	s.lastSent, s.lastAcc, s.lastChat = sent, acc, chat
	p.WSConns += int(s.conns.Load())
	if st.ackWin.Count() > 0 {
		p.AckP50, p.AckP95, p.AckP99 = msf(st.ackWin.Quantile(.5)), msf(st.ackWin.Quantile(.95)), msf(st.ackWin.Quantile(.99))
	}
	if st.lagWin.Count() > 0 {
		p.LagP95 = msf(st.lagWin.Quantile(.95))
	}
	if st.decWin.Count() > 0 {
		p.DecP95, p.DecP99 = msf(st.decWin.Quantile(.95)), msf(st.decWin.Quantile(.99))
	}
	st.ackWin.Reset()
	st.lagWin.Reset()
	st.decWin.Reset()
}

// addKV adds the bid figures to the summary line.
func (b *BidsSummary) addKV(r *Report) {
	r.add("rooms", b.Rooms)
	r.add("bidders", b.Bidders)
	r.add("watchers", b.Watchers)
	r.add("bids_sent", b.Sent)
	r.add("bid_rate", b.AchievedRate)
	r.add("acked", b.Acked)
	r.add("accepted", b.Accepted)
	r.add("rejected", b.Rejected)
	r.add("undecided", b.Undecided)
	r.add("error_replies", b.ErrorReplies)
	r.addQ("ack", b.Ack)
	r.addQ("decision", b.Decision)
	r.addQ("lag", b.Lag)
	if b.ChatSent > 0 {
		r.add("chat_sent", b.ChatSent)
		r.add("chat_lag_p95_ms", b.ChatLag.P95)
	}
	if a := r.Audit; a != nil {
		r.add("audit", map[bool]string{true: "ok", false: "FAILED"}[a.OK])
		r.add("audit_lost", a.Lost)
		r.add("audit_doubled", a.Doubled)
		r.add("audit_wrong_winner", a.WrongWinner)
	}
}

// audit fetches the server's record and compares; a failure to fetch is a
// report error, not a pass.
func (s *bidSwarm) audit(ctx context.Context, base *url.URL, databaseURL string) {
	sent := s.clientBids()
	lots := map[string]bool{}
	for _, c := range sent {
		if c.LotID != "" {
			lots[c.LotID] = true
		}
	}
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var rec ServerRecord
	var err error
	if databaseURL != "" {
		rec, err = recordFromDB(actx, databaseURL, keys(lots))
	} else {
		rec, err = s.recordFromAPI(actx, base, lots)
	}
	if err != nil {
		s.keepBidSamples(sent, nil)
		s.rep.noteError("audit: " + err.Error())
		s.rep.Audit = &AuditResult{Source: rec.Source, Violations: []string{"could not read the server's record: " + err.Error()}}
		return
	}
	s.keepBidSamples(sent, &rec)
	a := Audit(sent, rec)
	s.rep.Audit = &a
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// recordFromDB reads the bids and results of lots straight from Postgres.
func recordFromDB(ctx context.Context, databaseURL string, lots []string) (ServerRecord, error) {
	rec := ServerRecord{Source: "database"}
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return rec, fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT bid_id, lot_id::text, bidder_id::text, amount, outcome, reason, ingress_seq
		FROM bids WHERE lot_id::text = ANY($1)`, lots)
	if err != nil {
		return rec, fmt.Errorf("query bids: %w", err)
	}
	for rows.Next() {
		var b ServerBid
		if err := rows.Scan(&b.BidID, &b.LotID, &b.BidderID, &b.Amount, &b.Outcome, &b.Reason, &b.Seq); err != nil {
			rows.Close()
			return rec, fmt.Errorf("scan bid: %w", err)
		}
		rec.Bids = append(rec.Bids, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rec, fmt.Errorf("read bids: %w", err)
	}
	rows, err = conn.Query(ctx, `SELECT lot_id::text, outcome, coalesce(winner_id::text, ''), coalesce(winning_bid_id, ''),
		coalesce(price, 0) FROM lot_results WHERE lot_id::text = ANY($1)`, lots)
	if err != nil {
		return rec, fmt.Errorf("query results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ServerResult
		if err := rows.Scan(&r.LotID, &r.Outcome, &r.WinnerID, &r.WinningBidID, &r.Price); err != nil {
			return rec, fmt.Errorf("scan result: %w", err)
		}
		rec.Results = append(rec.Results, r)
	}
	if err := rows.Err(); err != nil {
		return rec, fmt.Errorf("read results: %w", err)
	}
	return rec, nil
}

// recordFromAPI reads the record through the JSON API: each bidder's own
// bids (GET /me/bids, with outcomes), each lot's public history (for the
// ingress seq of accepted bids) and each lot's result as its seller sees it
// (winner_id).
func (s *bidSwarm) recordFromAPI(ctx context.Context, base *url.URL, lots map[string]bool) (ServerRecord, error) {
	rec := ServerRecord{Source: "api"}
	api := base.JoinPath("api/v1")
	type myBid struct {
		BidID   string `json:"bid_id"`
		LotID   string `json:"lot_id"`
		Amount  int64  `json:"amount"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
	for _, m := range s.bidders {
		items, err := pages[myBid](ctx, api.JoinPath("me/bids").String(), m.sess.Token)
		if err != nil {
			return rec, fmt.Errorf("bids of %s: %w", m.sess.Name, err)
		}
		for _, b := range items {
			if lots[b.LotID] {
				rec.Bids = append(rec.Bids, ServerBid{BidID: b.BidID, LotID: b.LotID, BidderID: m.sess.UserID,
					Amount: b.Amount, Outcome: b.Outcome, Reason: b.Reason})
			}
		}
	}
	seqOf := map[string]map[int64]int64{} // lot → accepted amount → seq
	sellerOf := map[string]string{}
	for _, r := range s.rooms {
		for _, id := range r.started {
			sellerOf[id] = r.seller.Token
		}
	}
	for lot := range lots {
		type pub struct {
			Seq    int64 `json:"seq"`
			Amount int64 `json:"amount"`
		}
		hist, err := pages[pub](ctx, api.JoinPath("lots", lot, "bids").String(), "")
		if err != nil {
			return rec, fmt.Errorf("history of lot %s: %w", lot, err)
		}
		seqOf[lot] = map[int64]int64{}
		for _, h := range hist {
			seqOf[lot][h.Amount] = h.Seq
		}
		var res struct {
			Outcome  string `json:"outcome"`
			Price    *int64 `json:"price"`
			WinnerID string `json:"winner_id"`
		}
		err = doJSON(ctx, "GET", api.JoinPath("lots", lot, "result").String(), sellerOf[lot], nil, &res)
		var he *httpError
		if errors.As(err, &he) && he.Status == 404 {
			continue // not closed
		} else if err != nil {
			return rec, fmt.Errorf("result of lot %s: %w", lot, err)
		}
		r := ServerResult{LotID: lot, Outcome: res.Outcome, WinnerID: res.WinnerID}
		if res.Price != nil {
			r.Price = *res.Price
		}
		rec.Results = append(rec.Results, r)
	}
	for i, b := range rec.Bids {
		if b.Outcome == "accepted" {
			rec.Bids[i].Seq = seqOf[b.LotID][b.Amount]
		}
	}
	return rec, nil
}

// pages follows next_cursor through a paged listing (at most 200 pages).
func pages[T any](ctx context.Context, u, token string) ([]T, error) {
	var all []T
	cursor := ""
	for range 200 {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set("limit", "100")
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		pu.RawQuery = q.Encode()
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := doJSON(ctx, "GET", pu.String(), token, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
	return nil, errors.New("more than 200 pages")
}
